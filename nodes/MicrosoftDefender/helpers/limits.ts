import type { ApiFamily } from './hosts';

/**
 * The one table of page limits per endpoint. Paging in the transport, the emulator tests and
 * the benchmarks read it.
 *  - `skip`: `$top` + `$skip` (MDE: adding `$top` suppresses `@odata.nextLink`).
 *  - `nextLink`: follow `@odata.nextLink` (Graph); `$top` sets the page size.
 *  - `none`: the endpoint documents no query options: send none, follow `@odata.nextLink` if
 *    one comes, apply the limit client-side.
 */
export interface PageLimit {
	/** The endpoint (`METHOD /path/:param`, as in permissions.ts and the emulator's contract). */
	call: string;
	api: ApiFamily;
	style: 'skip' | 'nextLink' | 'none';
	/** Largest `$top` (undefined for `none`: the page says nothing). */
	maxPageSize?: number;
	/** The API may omit @odata.nextLink on a full page; the transport then continues with $skip. */
	nextLinkUnreliable?: boolean;
}

export const PAGE_LIMITS = {
	mdeAlerts: { call: 'GET /api/alerts', api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeMachines: { call: 'GET /api/machines', api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeMachineActions: { call: 'GET /api/machineactions', api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeIndicators: { call: 'GET /api/indicators', api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeSoftware: { call: 'GET /api/software', api: 'mde', style: 'skip', maxPageSize: 10000 },
	// List devices by software: no OData options documented.
	mdeSoftwareMachines: { call: 'GET /api/software/:id/machineReferences', api: 'mde', style: 'none' },
	mdeVulnerabilities: { call: 'GET /api/vulnerabilities', api: 'mde', style: 'skip', maxPageSize: 8000 },
	// Get discovered vulnerabilities: no OData options documented.
	mdeMachineVulnerabilities: { call: 'GET /api/machines/:id/vulnerabilities', api: 'mde', style: 'none' },
	// $top above 1,000 is clamped by Graph; alerts_v2 sometimes omits nextLink (see transport).
	graphAlerts: { call: 'GET /v1.0/security/alerts_v2', api: 'graph', style: 'nextLink', maxPageSize: 1000, nextLinkUnreliable: true },
	// Observed: $top above 50 fails with 400.
	graphIncidents: { call: 'GET /v1.0/security/incidents', api: 'graph', style: 'nextLink', maxPageSize: 50 },
} satisfies Record<string, PageLimit>;

export type PagedEndpoint = keyof typeof PAGE_LIMITS;

/** The path of a list endpoint ('/v1.0/security/incidents'), from its `call`. */
export function listPath(endpoint: PagedEndpoint): string {
	return PAGE_LIMITS[endpoint].call.split(' ')[1];
}

/**
 * Documented quotas per API family, used for pacing. Hunting quotas are per tenant.
 */
export interface Quota {
	perMinute: number;
	perHour: number;
}

export const QUOTAS = {
	mde: { perMinute: 100, perHour: 1500 },
	mdeHunting: { perMinute: 45, perHour: 1500 },
	// Graph security documents 150 requests/min per app per tenant for its alert operations and
	// nothing separate for incidents/alerts_v2; assume the same. [inf]
	graph: { perMinute: 150, perHour: 9000 },
	graphHunting: { perMinute: 45, perHour: 1500 },
	mdePackageUri: { perMinute: 2, perHour: 120 },
	// Get discovered vulnerabilities: "50 calls per minute and 1500 calls per hour".
	mdeMachineVulnerabilities: { perMinute: 50, perHour: 1500 },
	// "Run live response commands on a device": 10 calls per minute; no hourly figure (10 × 60).
	mdeLiveResponse: { perMinute: 10, perHour: 600 },
} satisfies Record<string, Quota>;

export type QuotaKey = keyof typeof QUOTAS;
