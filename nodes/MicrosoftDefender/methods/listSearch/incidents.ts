import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { dateTime, ge } from '../../helpers/odata';
import { canonicalTimestamp } from '../../helpers/pollTime';
import { simplifyIncident } from '../../helpers/simplify';
import { defenderApiRequestAllItems } from '../../transport';
import { incidentRow } from './rows';
import { OPERATIONS } from '../../actions/operations';

/** Incidents shown per picker page. */
const PAGE = 50;
/** Most incidents read (10 requests of 50) before sorting locally. */
const SCAN = 500;
/** Look-back windows, shortest first: the first one holding a full page is used. */
const WINDOWS_MS = [7 * 24 * 3600 * 1000, 30 * 24 * 3600 * 1000, 180 * 24 * 3600 * 1000];

function updatedAt(incident: IDataObject): string {
	return canonicalTimestamp(incident.lastUpdateDateTime) ?? '';
}

/**
 * Incidents for the Incident picker (Graph), recently updated first, 50 per page. *List incidents*
 * documents no `$orderby`, so the picker reads up to 500 incidents changed in a recent window (a
 * week, else 30, else 180 days), sorts them here and pages through that list. The search text
 * filters by name or ID locally (Graph documents no text filter on incidents).
 */
export async function searchIncidents(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	let records: IDataObject[] = [];
	for (const windowMs of WINDOWS_MS) {
		records = await defenderApiRequestAllItems.call(
			this,
			{
				api: 'graph',
				method: 'GET',
				path: '/v1.0/security/incidents',
				qs: { $filter: ge('lastUpdateDateTime', dateTime(Date.now() - windowMs)) },
				headers: { Prefer: 'include-unknown-enum-members' },
				operation: OPERATIONS.incident.getAll,
			},
			{ endpoint: 'graphIncidents', limit: SCAN },
		);
		if (records.length >= PAGE) break;
	}
	const needle = (filter ?? '').trim().toLowerCase();
	const all = [...records]
		.sort((a, b) => (updatedAt(a) < updatedAt(b) ? 1 : updatedAt(a) > updatedAt(b) ? -1 : 0))
		.map((r) => ({ raw: r, s: simplifyIncident(r) }))
		.filter(({ s }) => !needle || String(s.id).includes(needle) || String(s.displayName ?? '').toLowerCase().includes(needle));
	const offset = Math.max(0, Number(paginationToken) || 0);
	const results = all.slice(offset, offset + PAGE).map(({ raw, s }) => ({
		name: incidentRow(s),
		value: String(s.id),
		url: typeof raw.incidentWebUrl === 'string' ? raw.incidentWebUrl : undefined,
	}));
	return { results, paginationToken: offset + PAGE < all.length ? String(offset + PAGE) : undefined };
}
