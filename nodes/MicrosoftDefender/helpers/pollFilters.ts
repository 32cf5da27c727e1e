import type { IDataObject } from 'n8n-workflow';

import { listPath, PAGE_LIMITS, type PagedEndpoint } from './limits';
import { and, anyOf, eq } from './odata';
import type { EventKind } from './pollState';

/**
 * Trigger events, filters and the Graph queries they become. Pure: no HTTP.
 */

export type TriggerResource = 'alert' | 'incident';
export type TriggerEventMode = 'new' | 'updated' | 'newOrUpdated';

export const TRIGGER_EVENTS = {
	newAlert: { resource: 'alert', mode: 'new' },
	updatedAlert: { resource: 'alert', mode: 'updated' },
	newOrUpdatedAlert: { resource: 'alert', mode: 'newOrUpdated' },
	newIncident: { resource: 'incident', mode: 'new' },
	updatedIncident: { resource: 'incident', mode: 'updated' },
	newOrUpdatedIncident: { resource: 'incident', mode: 'newOrUpdated' },
} as const satisfies Record<string, { resource: TriggerResource; mode: TriggerEventMode }>;

export type TriggerEvent = keyof typeof TRIGGER_EVENTS;

/** The Graph list each trigger resource polls; path and page size come from the page-limit table. */
function graphCollection(endpoint: 'graphAlerts' | 'graphIncidents'): { path: string; endpoint: PagedEndpoint; maxPageSize: number } {
	return { path: listPath(endpoint), endpoint, maxPageSize: PAGE_LIMITS[endpoint].maxPageSize };
}

export const GRAPH_COLLECTION: Record<TriggerResource, { path: string; endpoint: PagedEndpoint; maxPageSize: number }> = {
	alert: graphCollection('graphAlerts'),
	incident: graphCollection('graphIncidents'),
};

export const SEVERITY_ORDER = ['informational', 'low', 'medium', 'high'] as const;

export interface TriggerFilters {
	minSeverity?: string;
	status?: string[];
	serviceSource?: string[];
	assignedTo?: string;
	tags?: string[];
}

/** Severities at or above `min`; undefined = no severity filter. */
export function severitiesAtLeast(min: string | undefined): string[] | undefined {
	if (!min) return undefined;
	const i = SEVERITY_ORDER.indexOf(min as (typeof SEVERITY_ORDER)[number]);
	if (i <= 0) return i === 0 ? [...SEVERITY_ORDER] : undefined;
	return SEVERITY_ORDER.slice(i);
}

/** Server-side `$filter` clause for the filters Graph documents as filterable. */
export function graphFilterClause(resource: TriggerResource, f: TriggerFilters): string | undefined {
	const severities = severitiesAtLeast(f.minSeverity);
	return and(
		severities && severities.length < SEVERITY_ORDER.length ? anyOf('severity', severities) : undefined,
		f.status?.length ? anyOf('status', f.status) : undefined,
		resource === 'alert' && f.serviceSource?.length ? anyOf('serviceSource', f.serviceSource) : undefined,
		resource === 'incident' && f.assignedTo ? eq('assignedTo', f.assignedTo) : undefined,
	);
}

const lc = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');

/**
 * The same filters checked on each record (tags can only be checked here: Graph does not document
 * `customTags` as filterable). Comparisons ignore case.
 */
export function recordMatcher(resource: TriggerResource, f: TriggerFilters): ((r: IDataObject) => boolean) | undefined {
	const severities = severitiesAtLeast(f.minSeverity);
	const sev = severities && severities.length < SEVERITY_ORDER.length ? new Set(severities) : undefined;
	const status = f.status?.length ? new Set(f.status.map(lc)) : undefined;
	const source = resource === 'alert' && f.serviceSource?.length ? new Set(f.serviceSource.map(lc)) : undefined;
	const assignee = resource === 'incident' && f.assignedTo ? lc(f.assignedTo) : undefined;
	const tags = resource === 'incident' && f.tags?.length ? new Set(f.tags.map(lc)) : undefined;
	if (!sev && !status && !source && !assignee && !tags) return undefined;
	return (r) => {
		if (sev && !sev.has(lc(r.severity))) return false;
		if (status && !status.has(lc(r.status))) return false;
		if (source && !source.has(lc(r.serviceSource))) return false;
		if (assignee !== undefined && lc(r.assignedTo) !== assignee) return false;
		if (tags) {
			const all = [
				...(Array.isArray(r.customTags) ? r.customTags : []),
				...(Array.isArray(r.systemTags) ? r.systemTags : []),
			].map(lc);
			if (!all.some((t) => tags.has(t))) return false;
		}
		return true;
	};
}

export function wantsEvent(mode: TriggerEventMode, kind: EventKind): boolean {
	return mode === 'newOrUpdated' || mode === kind;
}
