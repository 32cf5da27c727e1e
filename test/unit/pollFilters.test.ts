import {
	graphFilterClause,
	recordMatcher,
	severitiesAtLeast,
	wantsEvent,
} from '../../nodes/MicrosoftDefender/helpers/pollFilters';
import { splitList } from '../../nodes/MicrosoftDefender/helpers/validate';

describe('pollFilters', () => {
	it('minimum severity expands to the severities at or above it', () => {
		expect(severitiesAtLeast('')).toBeUndefined();
		expect(severitiesAtLeast('medium')).toEqual(['medium', 'high']);
		expect(severitiesAtLeast('informational')).toEqual(['informational', 'low', 'medium', 'high']);
	});

	it('builds the Graph $filter clause for documented filterable properties only', () => {
		expect(graphFilterClause('alert', {})).toBeUndefined();
		expect(
			graphFilterClause('alert', { minSeverity: 'high', status: ['new', 'inProgress'], serviceSource: ['microsoftDefenderForEndpoint'] }),
		).toBe("severity eq 'high' and (status eq 'new' or status eq 'inProgress') and serviceSource eq 'microsoftDefenderForEndpoint'");
		expect(graphFilterClause('incident', { minSeverity: 'medium', assignedTo: "o'brien@contoso.com", tags: ['x'] })).toBe(
			"(severity eq 'medium' or severity eq 'high') and assignedTo eq 'o''brien@contoso.com'",
		);
		// "informational or higher" matches everything that has a known severity: no server clause
		expect(graphFilterClause('alert', { minSeverity: 'informational' })).toBeUndefined();
	});

	it('checks the same filters and tags on each record, ignoring case', () => {
		expect(recordMatcher('alert', {})).toBeUndefined();
		const m = recordMatcher('incident', { minSeverity: 'medium', tags: ['Ransomware'], assignedTo: 'A@contoso.com' });
		expect(m).toBeDefined();
		const ok = { severity: 'high', customTags: ['ransomware'], assignedTo: 'a@contoso.com' };
		expect(m!(ok)).toBe(true);
		expect(m!({ ...ok, severity: 'low' })).toBe(false);
		expect(m!({ ...ok, customTags: [], systemTags: ['RANSOMWARE'] })).toBe(true);
		expect(m!({ ...ok, customTags: ['other'] })).toBe(false);
		expect(m!({ ...ok, assignedTo: null })).toBe(false);
	});

	it('splits comma lists and matches event modes', () => {
		expect(splitList(' a, b ,,c')).toEqual(['a', 'b', 'c']);
		expect(splitList(['x', ' y '])).toEqual(['x', 'y']);
		expect(splitList(undefined)).toEqual([]);
		// One splitter for the node and the trigger: unique values, numbers read as text, objects are no list.
		expect(splitList('a, b, a')).toEqual(['a', 'b']);
		expect(splitList(['x', 'x ', 3])).toEqual(['x', '3']);
		expect(splitList({ a: 1 })).toEqual([]);
		expect(wantsEvent('new', 'new')).toBe(true);
		expect(wantsEvent('new', 'updated')).toBe(false);
		expect(wantsEvent('newOrUpdated', 'updated')).toBe(true);
	});
});
