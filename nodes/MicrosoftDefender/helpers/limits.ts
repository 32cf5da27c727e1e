import type { ApiFamily } from './hosts';

/**
 * The one table of page limits per endpoint. Paging in the transport, the emulator tests and
 * the benchmarks read it.
 *  - `skip`: `$top` + `$skip` (MDE and XDR: adding `$top` suppresses `@odata.nextLink`).
 *  - `nextLink`: follow `@odata.nextLink` (Graph); `$top` sets the page size.
 */
export interface PageLimit {
	api: ApiFamily;
	style: 'skip' | 'nextLink';
	maxPageSize: number;
	/** The API may omit @odata.nextLink on a full page; the transport then continues with $skip. */
	nextLinkUnreliable?: boolean;
}

export const PAGE_LIMITS = {
	mdeAlerts: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeMachines: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeMachineActions: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeIndicators: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeSoftware: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeSoftwareMachines: { api: 'mde', style: 'skip', maxPageSize: 10000 },
	mdeVulnerabilities: { api: 'mde', style: 'skip', maxPageSize: 8000 },
	mdeMachineVulnerabilities: { api: 'mde', style: 'skip', maxPageSize: 8000 },
	xdrIncidents: { api: 'xdr', style: 'skip', maxPageSize: 100 },
	// $top above 1,000 is clamped by Graph; alerts_v2 sometimes omits nextLink (see transport).
	graphAlerts: { api: 'graph', style: 'nextLink', maxPageSize: 1000, nextLinkUnreliable: true },
	// Observed: $top above 50 fails with 400.
	graphIncidents: { api: 'graph', style: 'nextLink', maxPageSize: 50 },
} satisfies Record<string, PageLimit>;

export type PagedEndpoint = keyof typeof PAGE_LIMITS;

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
	xdrIncidents: { perMinute: 50, perHour: 1500 },
	xdrHunting: { perMinute: 45, perHour: 1500 },
	// Graph security documents 150 requests/min per app per tenant for its alert operations and
	// nothing separate for incidents/alerts_v2; assume the same. [inf]
	graph: { perMinute: 150, perHour: 9000 },
	graphHunting: { perMinute: 45, perHour: 1500 },
	mdePackageUri: { perMinute: 2, perHour: 120 },
} satisfies Record<string, Quota>;

export type QuotaKey = keyof typeof QUOTAS;
