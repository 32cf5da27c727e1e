/**
 * The emulator's own statement of Microsoft's contract: one row per endpoint it serves.
 *
 * Every row says what the emulator believes and why: the Learn page title and the sentence the
 * belief rests on, tagged `documented` (the page says it), `observed` (a public report of real
 * responses; the source is named) or `assumed` (the docs are silent; the emulator then plays the
 * variant that breaks a careless client). The routes take their permissions and quota buckets
 * from here, strict mode enforces the query options and enum values listed here, and
 * docs/contract.md is generated from this table (scripts/docs-tables.ts).
 *
 * The emulator imports nothing from the package (nodes/, credentials/): test/unit/contract.test.ts
 * compares the package's own tables with this one and fails on any disagreement.
 */
import type { ApiFamily, QuotaBucket } from './types';

export type Tag = 'documented' | 'observed' | 'assumed';

export interface Basis {
	tag: Tag;
	/** Learn page title (documented), or the public source of an observation, or why we assume. */
	source: string;
	/** The sentence the row rests on (quoted or closely paraphrased from the source). */
	quote: string;
	/** Observed or assumed only: what the package does if Microsoft behaves otherwise. */
	ifWrong?: string;
}

export interface RateLimit extends Basis {
	/** Quota window the emulator counts the call in (rows with the same bucket share a window). */
	bucket: QuotaBucket;
	perMinute?: number;
	perHour?: number;
	/** Hunting quotas are per tenant; the others per app per tenant. */
	per: 'app' | 'tenant';
}

export interface PageCap extends Basis {
	/** Largest `$top` the endpoint takes. */
	max: number;
	/** Above it: refused with 400, or clamped to `max`. */
	over: 'refuse' | 'clamp';
}

export interface DocumentedError {
	status: number;
	code?: string;
	when: string;
}

/** Documented values of one enum body property on PATCH/POST. */
export interface EnumRule extends Basis {
	/** Compared exactly (the services' enums are case-sensitive on the wire). */
	values: string[];
	/**
	 * When Microsoft's pages disagree: each variant is one page's list. A seeded emulator accepts
	 * exactly one of them (`EmulatorVariants.determinationSpelling`).
	 */
	variants?: Record<DeterminationSpelling, string[]>;
}

export interface EndpointContract {
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
	/** Route pattern (`:id` params; literals matched case-insensitively). */
	path: string;
	api: ApiFamily;
	/** Learn page title the row is read from. */
	page: string;
	/** Application permissions, any one suffices. Empty for the public (SAS) download. */
	roles: string[];
	rolesBasis: Basis;
	/** Query options the page documents (`$filter`, `$top`, ... or named parameters). [] = none. */
	query: string[];
	queryBasis: Basis;
	pageCap?: PageCap;
	limit?: RateLimit;
	errors: DocumentedError[];
	/** Enum body properties checked in strict mode (exact key as the page writes it, compared case-insensitively). */
	body?: Record<string, EnumRule>;
	/** What the endpoint does with `$orderby` when its page does not document it (Graph alerts_v2, incidents). */
	orderBy?: Basis;
	/** Not an API of Microsoft's (the SAS download link): no token, no quota. */
	public?: true;
}

/** How a seeded strict emulator resolves what the docs leave open. */
export type UndocumentedPaging = 'ignore' | 'refuse';
/** `$orderby` where the page documents none: accepted and ignored, pages in no time order. */
export type UndocumentedOrderBy = 'shuffled' | 'reverse';
/** The text of a 403 for a token without the endpoint's roles (see EmulatorVariants.forbiddenMessage). */
export type ForbiddenMessage = 'namesRoles' | 'bare';
export type DeterminationSpelling = 'updatePage' | 'resourcePage';

export interface EmulatorVariants {
	/** OData options ($top, $skip, $expand, ...) on an endpoint that documents none: ignored (same answer as without) or 400. */
	undocumentedPaging: UndocumentedPaging;
	/** MDE alert determination: *Update alert* names (NotMalicious, ConfirmedActivity) or the alert resource page's (Clean, ConfirmedUserActivity). */
	determinationSpelling: DeterminationSpelling;
	/**
	 * Graph alerts_v2/incidents `$orderby` (not documented; observed ignored): pages in a seeded
	 * hash order of the IDs (`shuffled`) or newest `lastUpdateDateTime` first (`reverse`).
	 */
	undocumentedOrderBy: UndocumentedOrderBy;
	/**
	 * A 403 for a token that lacks the endpoint's roles: the observed "Missing application roles.
	 * API required roles: …" (`namesRoles`) or a text that names no permission (`bare`). The Learn
	 * pages document the 403, not its text, so the node must say what is missing either way.
	 */
	forbiddenMessage: ForbiddenMessage;
}

/** Strict unless a test says why it needs leniency. */
export interface EmulatorMode {
	strict: boolean;
	/** Why a test turned strict mode off (required to do so). */
	lenientReason?: string;
	variants: EmulatorVariants;
}

/** Deterministic variants from a seed: every combination is reached by some seed, none by chance. */
export function variantsForSeed(seed: number): EmulatorVariants {
	const s = Math.abs(Math.trunc(seed));
	return {
		undocumentedPaging: s % 2 === 0 ? 'ignore' : 'refuse',
		determinationSpelling: Math.floor(s / 2) % 2 === 0 ? 'updatePage' : 'resourcePage',
		undocumentedOrderBy: Math.floor(s / 4) % 2 === 0 ? 'shuffled' : 'reverse',
		// Seeds 0-15 keep the observed text (the suites' seeds); 16-31 reach the bare one.
		forbiddenMessage: Math.floor(s / 16) % 2 === 0 ? 'namesRoles' : 'bare',
	};
}

/* ------------------------------------------------------------------ shared facts */

const MDE_ONE_OF = 'One of the following permissions is required to call this API.';
const MDE_100 = 'Rate limitations for this API are 100 calls per minute and 1500 calls per hour.';

const doc = (source: string, quote: string): Basis => ({ tag: 'documented', source, quote });
const assumed = (source: string, quote: string, ifWrong: string): Basis => ({ tag: 'assumed', source, quote, ifWrong });
const observed = (source: string, quote: string, ifWrong: string): Basis => ({ tag: 'observed', source, quote, ifWrong });

const mde100 = (page: string): RateLimit => ({ ...doc(page, MDE_100), bucket: 'mde', perMinute: 100, perHour: 1500, per: 'app' });
const mdeAssumed100 = (page: string): RateLimit => ({
	...assumed(
		page,
		'The page states no rate limit; the MDE default (100/min, 1,500/h) is assumed and shared with the other MDE calls (the stricter reading).',
		'The package paces these calls in the shared MDE window (100/min, 1,500/h) and honours Retry-After on a 429, so a lower limit costs retries, never data; a separate or higher limit only makes it slower than it could be.',
	),
	bucket: 'mde',
	perMinute: 100,
	perHour: 1500,
	per: 'app',
});
const graphLimit = (page: string): RateLimit => ({
	...assumed(
		page,
		'No per-endpoint limit is published for alerts_v2/incidents; Graph security documents 150 requests per minute per app per tenant for its (legacy) alert operations, assumed here.',
		'The package paces Graph calls at 150/min and honours Retry-After (and x-ms-retry-after-ms) on a 429 with bounded retries; a lower real limit costs waits, not data.',
	),
	bucket: 'graph',
	perMinute: 150,
	per: 'app',
});

const MACHINE_READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const LR_RUN = 'Run live response commands on a device';
const LR_RESULT = 'Get live response results';
const LR_UPLOAD = 'Upload files to the live response library';
const LR_DELETE = 'Delete a file from the live response library';
const ALERT_READ = ['Alert.Read.All', 'Alert.ReadWrite.All'];
const G_ALERT_READ = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'];
const G_INCIDENT_READ = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
const X_INCIDENT_READ = ['Incident.Read.All', 'Incident.ReadWrite.All'];
const TI_WRITE = ['Ti.ReadWrite', 'Ti.ReadWrite.All'];

const NOT_FOUND: DocumentedError = { status: 404, when: 'no such object in the tenant' };
const FORBIDDEN: DocumentedError = { status: 403, code: 'Forbidden', when: 'the token lacks every role the row lists' };
const THROTTLED: DocumentedError = { status: 429, when: 'the rate limit is exceeded (Retry-After)' };
const ODATA_400: DocumentedError = { status: 400, when: 'an OData option the endpoint does not accept, or $top above the cap' };

const mdeReadRow = (path: string, page: string, roles: string[], query: string[], extra: Partial<EndpointContract> = {}): EndpointContract => ({
	method: 'GET',
	path,
	api: 'mde',
	page,
	roles,
	rolesBasis: doc(page, MDE_ONE_OF),
	query,
	queryBasis: query.length
		? doc(page, `Supports OData V4 queries: ${query.join(', ')}.`)
		: doc(page, 'The page documents no OData options or query parameters for this call.'),
	limit: mde100(page),
	errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	...extra,
});

const MDE_LIST_CAP = (page: string, max = 10000): PageCap => ({ ...doc(page, `Maximum page size is ${max.toLocaleString('en-US')}.`), max, over: 'refuse' });

/** Response actions: POST /api/machines/{id}/<action>, one permission each. */
const action = (segment: string, page: string, role: string, extra: Partial<EndpointContract> = {}): EndpointContract => ({
	method: 'POST',
	path: `/api/machines/:id/${segment}`,
	api: 'mde',
	page,
	roles: [role],
	rolesBasis: doc(page, `${MDE_ONE_OF} (Application: ${role})`),
	query: [],
	queryBasis: doc(page, 'Request body only; no query options.'),
	limit: mde100(page),
	errors: [
		FORBIDDEN,
		NOT_FOUND,
		THROTTLED,
		{ status: 400, code: 'ActiveRequestAlreadyExists', when: 'an action of the same kind is still pending on the device ("Action is already in progress")' },
	],
	...extra,
});

const GRAPH_DETERMINATIONS_COMMON = ['unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack', 'phishing', 'maliciousUserActivity', 'confirmedUserActivity', 'lineOfBusinessApplication', 'unknownFutureValue'];
/** Graph alertDetermination as the alert resource page lists it (the current generation). */
const GRAPH_DETERMINATIONS_RESOURCE = [...GRAPH_DETERMINATIONS_COMMON, 'compromisedAccount', 'notMalicious', 'notEnoughDataToValidate'];
const graphDetermination = (page: string, pageValues: string[]): EnumRule => ({
	...assumed(
		`${page} / alert resource type`,
		`${page} lists ${pageValues.filter((v) => !GRAPH_DETERMINATIONS_COMMON.includes(v)).join(', ')}; the alert resource page (alertDetermination, also the incident's type) lists compromisedAccount, notMalicious, notEnoughDataToValidate. None lists confirmedActivity.`,
		'The package sends the resource page names (confirmedUserActivity for Confirmed Activity) and, on a 400, once more the other spelling, reporting determinationSentAs; both emulator variants are tested.',
	),
	values: [],
	variants: { updatePage: [...GRAPH_DETERMINATIONS_COMMON, ...pageValues.filter((v) => !GRAPH_DETERMINATIONS_COMMON.includes(v))], resourcePage: GRAPH_DETERMINATIONS_RESOURCE },
});

/** Every endpoint the emulator serves. Keep one row per route; add rows here first. */
export const CONTRACT: EndpointContract[] = [
	/* ---------------------------------------------------------------- MDE alerts */
	mdeReadRow('/api/alerts', 'List alerts API', ALERT_READ, ['$filter', '$top', '$skip', '$expand'], {
		pageCap: MDE_LIST_CAP('List alerts API'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	}),
	mdeReadRow('/api/alerts/:id', 'Get alert information by ID API', ALERT_READ, []),
	{
		method: 'PATCH',
		path: '/api/alerts/:id',
		api: 'mde',
		page: 'Update alert',
		roles: ['Alert.ReadWrite.All'],
		rolesBasis: doc('Update alert', `${MDE_ONE_OF} (the page prints "Alerts.ReadWrite.All"; the permission Entra grants is Alert.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Update alert', 'Updatable properties are: status, determination, classification, and assignedTo.'),
		limit: mde100('Update alert'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED, { status: 400, when: 'a value outside the documented enum' }],
		body: {
			status: { ...doc('Update alert', "The property values are: 'New', 'InProgress' and 'Resolved'."), values: ['New', 'InProgress', 'Resolved'] },
			classification: {
				...doc('Update alert', 'The property values are: TruePositive, InformationalExpectedActivity, and FalsePositive.'),
				values: ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'],
			},
			determination: {
				...assumed(
					'Update alert / Alert resource type',
					'Update alert lists NotMalicious and ConfirmedActivity; the alert resource page lists Clean and ConfirmedUserActivity for the same choices. The docs do not say which one the PATCH accepts.',
					'The package sends the Update alert spelling and, on a 400, once more the resource page spelling, reporting determinationSentAs; both emulator variants are tested.',
				),
				values: [],
				variants: {
					updatePage: ['MultiStagedAttack', 'MaliciousUserActivity', 'CompromisedUser', 'Malware', 'Phishing', 'UnwantedSoftware', 'Other', 'SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedActivity', 'NotMalicious', 'InsufficientData'],
					resourcePage: ['MultiStagedAttack', 'MaliciousUserActivity', 'CompromisedUser', 'Malware', 'Phishing', 'UnwantedSoftware', 'Other', 'SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedUserActivity', 'Clean', 'InsufficientData'],
				},
			},
		},
	},
	{
		method: 'POST',
		path: '/api/alerts/batchUpdate',
		api: 'mde',
		page: 'Batch update alert entities API',
		roles: ['Alert.ReadWrite.All'],
		rolesBasis: doc('Batch update alert entities API', MDE_ONE_OF),
		query: [],
		queryBasis: doc('Batch update alert entities API', 'Request body only.'),
		limit: { ...doc('Batch update alert entities API', 'Rate limitations for this API are 10 calls per minute and 500 calls per hour.'), bucket: 'mde-alert-batch-update', perMinute: 10, perHour: 500, per: 'app' },
		errors: [FORBIDDEN, THROTTLED],
	},
	mdeReadRow('/api/alerts/:id/machine', 'Get alert related machine information', MACHINE_READ, []),

	/* ---------------------------------------------------------------- Graph alerts_v2 */
	{
		method: 'GET',
		path: '/v1.0/security/alerts_v2',
		api: 'graph',
		page: 'List alerts_v2',
		roles: G_ALERT_READ,
		rolesBasis: doc('List alerts_v2', 'Choose the permission or permissions marked as least privileged for this API (Application: SecurityAlert.Read.All; higher: SecurityAlert.ReadWrite.All).'),
		query: ['$count', '$filter', '$skip', '$top'],
		queryBasis: doc(
			'List alerts_v2',
			'This method supports the following OData query parameters to help customize the response: $count, $filter, $skip, $top. The following properties support $filter: assignedTo, classification, determination, createdDateTime, lastUpdateDateTime, severity, serviceSource and status. Use @odata.nextLink for pagination. ($orderby is not listed.)',
		),
		pageCap: {
			...observed(
				'defender-api-corrections.md: elastic/integrations#20234, Microsoft Q&A 1611210',
				'$top above 1,000 is clamped, not rejected; no page documents a cap.',
				'The package asks for at most 1,000 and follows @odata.nextLink; a smaller real page only means more pages, a full page without a link is continued with the documented $skip.',
			),
			max: 1000,
			over: 'clamp',
		},
		orderBy: observed(
			'issue 11: published live probe (2026-07); the legacy /security/alerts page listed $orderby, List alerts_v2 does not',
			'$orderby=lastUpdateDateTime was accepted and silently ignored: pages came in no time order.',
			'Nothing in the package depends on the order: the trigger reads closed lastUpdateDateTime windows to their last page and dedupes; Sort By and the pickers sort client-side. If $orderby were refused with 400, nothing changes (none is sent); if honoured, nothing changes either.',
		),
		limit: graphLimit('List alerts_v2'),
		errors: [FORBIDDEN, THROTTLED, { status: 400, when: 'a $filter the service cannot evaluate' }],
	},
	{
		method: 'GET',
		path: '/v1.0/security/alerts_v2/:id',
		api: 'graph',
		page: 'Get alert',
		roles: G_ALERT_READ,
		rolesBasis: doc('Get alert', 'Application: SecurityAlert.Read.All (least privileged), SecurityAlert.ReadWrite.All.'),
		query: [],
		queryBasis: assumed(
			'Get alert',
			'Not checked against the page: the emulator treats the endpoint as taking no query options.',
			'The package sends no query options to this endpoint, so any reading is safe.',
		),
		limit: graphLimit('Get alert'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},
	{
		method: 'PATCH',
		path: '/v1.0/security/alerts_v2/:id',
		api: 'graph',
		page: 'Update alert',
		roles: ['SecurityAlert.ReadWrite.All'],
		rolesBasis: doc('Update alert (Graph)', 'Application: SecurityAlert.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Update alert (Graph)', 'Request body: assignedTo, classification, determination, status, customDetails.'),
		limit: graphLimit('Update alert (Graph)'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
		body: {
			status: {
				...doc('Update alert (Graph)', 'status: The status of the alert. Possible values are: new, inProgress, resolved, unknownFutureValue.'),
				values: ['new', 'inProgress', 'resolved', 'unknownFutureValue'],
			},
			determination: graphDetermination('Update alert (Graph)', ['compromisedUser', 'clean', 'insufficientData']),
		},
	},
	{
		method: 'POST',
		path: '/v1.0/security/alerts_v2/:id/comments',
		api: 'graph',
		page: 'Create comment for alert',
		roles: ['SecurityAlert.ReadWrite.All'],
		rolesBasis: doc('Create comment for alert', 'Application: SecurityAlert.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Create comment for alert', 'Request body: comment.'),
		limit: graphLimit('Create comment for alert'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},

	/* ---------------------------------------------------------------- Graph incidents */
	{
		method: 'GET',
		path: '/v1.0/security/incidents',
		api: 'graph',
		page: 'List incidents',
		roles: G_INCIDENT_READ,
		rolesBasis: doc('List incidents', 'Application: SecurityIncident.Read.All (least privileged), SecurityIncident.ReadWrite.All.'),
		query: ['$count', '$filter', '$skip', '$top', '$expand'],
		queryBasis: doc(
			'List incidents',
			'This method supports the following OData query parameters to help customize the response: $count, $filter, $skip, $top, $expand. The following properties support $filter: assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, severity, and status. Use @odata.nextLink for pagination. ($orderby is not listed.)',
		),
		pageCap: {
			...observed(
				'defender-api-corrections.md (public report of a real 400)',
				'$top above 50 was observed to fail with 400 (empty code); no page documents the cap.',
				'The package never asks for more than 50 and follows @odata.nextLink; if the real cap were lower, the 400 would surface with its message (no silent loss).',
			),
			max: 50,
			over: 'refuse',
		},
		orderBy: observed(
			'issue 11: published live probe (2026-07); List incidents does not list $orderby',
			'$orderby=lastUpdateDateTime was accepted and silently ignored: pages came in no time order.',
			'Nothing in the package depends on the order: the trigger reads closed lastUpdateDateTime windows to their last page and dedupes; Sort By and the pickers sort client-side. If $orderby were refused with 400, nothing changes (none is sent); if honoured, nothing changes either.',
		),
		limit: graphLimit('List incidents'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	},
	{
		method: 'GET',
		path: '/v1.0/security/incidents/:id',
		api: 'graph',
		page: 'Get incident',
		roles: G_INCIDENT_READ,
		rolesBasis: doc('Get incident', 'Application: SecurityIncident.Read.All (least privileged), SecurityIncident.ReadWrite.All.'),
		query: [],
		queryBasis: {
			...doc('Get incident', "The page lists no optional query parameters (List incidents documents $expand; Get incident does not). The package's $expand=alerts here is undocumented."),
		},
		limit: graphLimit('Get incident'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},
	{
		method: 'PATCH',
		path: '/v1.0/security/incidents/:id',
		api: 'graph',
		page: 'Update incident',
		roles: ['SecurityIncident.ReadWrite.All'],
		rolesBasis: doc('Update incident', 'Application: SecurityIncident.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Update incident', 'Request body: assignedTo, classification, customTags, description, determination, resolvingComment, status, summary.'),
		limit: graphLimit('Update incident'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED, { status: 400, code: 'BadRequest', when: 'a value outside the enum' }],
		body: {
			status: {
				...doc('Update incident', 'status: The status of the incident. Possible values are: active, resolved, redirected, unknownFutureValue.'),
				values: ['active', 'resolved', 'redirected', 'unknownFutureValue'],
			},
			determination: graphDetermination('Update incident', ['compromisedUser', 'notMalicious', 'notEnoughDataToValidate']),
		},
	},
	{
		method: 'POST',
		path: '/v1.0/security/incidents/:id/comments',
		api: 'graph',
		page: 'Create comment for incident',
		roles: ['SecurityIncident.ReadWrite.All'],
		rolesBasis: doc('Create comment for incident', 'Application: SecurityIncident.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Create comment for incident', 'Request body: comment.'),
		limit: graphLimit('Create comment for incident'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},

	/* ---------------------------------------------------------------- Defender XDR incidents */
	{
		method: 'GET',
		path: '/api/incidents',
		api: 'xdr',
		page: 'List incidents API in Microsoft Defender XDR',
		roles: X_INCIDENT_READ,
		rolesBasis: doc('List incidents API in Microsoft Defender XDR', 'Application: Incident.Read.All, Incident.ReadWrite.All.'),
		query: ['$filter', '$top', '$skip'],
		queryBasis: doc('List incidents API in Microsoft Defender XDR', 'Supports OData V4 queries: $filter on lastUpdateTime, createdTime, status, assignedTo; $top with max value of 100; $skip.'),
		pageCap: { ...doc('List incidents API in Microsoft Defender XDR', 'The maximum page size is 100 incidents.'), max: 100, over: 'refuse' },
		limit: { ...doc('List incidents API in Microsoft Defender XDR', 'Rate limitations for this API are 50 calls per minute and 1500 calls per hour.'), bucket: 'xdr-incidents', perMinute: 50, perHour: 1500, per: 'app' },
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	},
	{
		method: 'GET',
		path: '/api/incidents/:id',
		api: 'xdr',
		page: 'Get incident information API',
		roles: X_INCIDENT_READ,
		rolesBasis: doc('Get incident information API', 'Application: Incident.Read.All, Incident.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Get incident information API', 'No query options.'),
		limit: { ...doc('Get incident information API', 'Rate limitations for this API are 50 calls per minute and 1500 calls per hour.'), bucket: 'xdr-incidents', perMinute: 50, perHour: 1500, per: 'app' },
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},
	{
		method: 'PATCH',
		path: '/api/incidents/:id',
		api: 'xdr',
		page: 'Update incidents API',
		roles: ['Incident.ReadWrite.All'],
		rolesBasis: doc('Update incidents API', 'Application: Incident.ReadWrite.All.'),
		query: [],
		queryBasis: doc('Update incidents API', 'Request body only.'),
		limit: { ...doc('Update incidents API', 'Rate limitations for this API are 50 calls per minute and 1500 calls per hour.'), bucket: 'xdr-incidents', perMinute: 50, perHour: 1500, per: 'app' },
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},

	/* ---------------------------------------------------------------- Advanced hunting */
	{
		method: 'POST',
		path: '/api/advancedqueries/run',
		api: 'mde',
		page: 'Advanced Hunting API',
		roles: ['AdvancedQuery.Read.All'],
		rolesBasis: doc('Advanced Hunting API', `${MDE_ONE_OF} (Application: AdvancedQuery.Read.All)`),
		query: [],
		queryBasis: doc('Advanced Hunting API', 'Request body: Query.'),
		limit: { ...doc('Advanced Hunting API', 'You can make up to 45 calls per minute and 1500 calls per hour (per tenant).'), bucket: 'mde-hunting', perMinute: 45, perHour: 1500, per: 'tenant' },
		errors: [FORBIDDEN, THROTTLED, { status: 400, when: 'a query that does not parse' }],
	},
	{
		method: 'POST',
		path: '/api/advancedhunting/run',
		api: 'xdr',
		page: 'Microsoft Defender XDR Advanced hunting API',
		roles: ['AdvancedHunting.Read.All'],
		rolesBasis: doc('Microsoft Defender XDR Advanced hunting API', 'Application: AdvancedHunting.Read.All.'),
		query: [],
		queryBasis: doc('Microsoft Defender XDR Advanced hunting API', 'Request body: Query.'),
		limit: { ...doc('Microsoft Defender XDR Advanced hunting API', 'You can make up to 45 calls per minute per tenant, and up to 1,500 per hour.'), bucket: 'xdr-hunting', perMinute: 45, perHour: 1500, per: 'tenant' },
		errors: [FORBIDDEN, THROTTLED],
	},
	{
		method: 'POST',
		path: '/v1.0/security/runHuntingQuery',
		api: 'graph',
		page: 'security: runHuntingQuery',
		roles: ['ThreatHunting.Read.All'],
		rolesBasis: doc('security: runHuntingQuery', 'Application: ThreatHunting.Read.All.'),
		query: [],
		queryBasis: doc('security: runHuntingQuery', 'Request body: Query, Timespan.'),
		limit: {
			...assumed(
				'security: runHuntingQuery',
				'The Graph page points to the advanced hunting quotas (45 calls per minute, 1,500 per hour, per tenant) without restating them for Graph.',
				'The package paces Graph hunting at 45/min and 1,500/h per tenant, runs few queries at once per tenant, and honours Retry-After on a 429.',
			),
			bucket: 'graph-hunting',
			perMinute: 45,
			perHour: 1500,
			per: 'tenant',
		},
		errors: [FORBIDDEN, THROTTLED, { status: 400, when: 'a query that does not parse' }],
	},

	/* ---------------------------------------------------------------- Machines */
	mdeReadRow('/api/machines', 'List machines API', MACHINE_READ, ['$filter', '$top', '$skip'], {
		pageCap: MDE_LIST_CAP('List machines API'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400, { status: 404, when: 'no machine seen in the last 30 days' }],
	}),
	mdeReadRow('/api/machines/findbytag', 'Find devices by tag API', MACHINE_READ, ['tag', 'useStartsWithFilter']),
	mdeReadRow('/api/machines/:id', 'Get machine by ID API', MACHINE_READ, [], {
		queryBasis: doc(
			'Get machine by ID API / Find devices by internal IP API',
			'The ID can be the machine ID or its computer name. findbyip(ip=,timestamp=) is served by the same route (Find devices by internal IP API: Machine.Read.All or Machine.ReadWrite.All).',
		),
	}),
	mdeReadRow('/api/machines/:id/logonusers', 'Get machine logon users API', ['User.Read.All'], []),
	mdeReadRow('/api/machines/:id/alerts', 'Get machine related alerts API', ALERT_READ, []),
	{
		method: 'POST',
		path: '/api/machines/:id/tags',
		api: 'mde',
		page: 'Add or Remove Machine Tags API',
		roles: ['Machine.ReadWrite.All'],
		rolesBasis: doc('Add or Remove Machine Tags API', `${MDE_ONE_OF} (Application: Machine.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Add or Remove Machine Tags API', 'Request body: Value, Action (Add or Remove).'),
		limit: mde100('Add or Remove Machine Tags API'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
		body: { Action: { ...doc('Add or Remove Machine Tags API', 'Action: Add or Remove.'), values: ['Add', 'Remove'] } },
	},
	action('isolate', 'Isolate machine API', 'Machine.Isolate', {
		body: { IsolationType: { ...doc('Isolate machine API', "IsolationType: Type of the isolation. Allowed values are: 'Full', 'Selective', or 'UnManagedDevice'."), values: ['Full', 'Selective', 'UnManagedDevice'] } },
	}),
	action('unisolate', 'Release device from isolation API', 'Machine.Isolate'),
	action('runAntiVirusScan', 'Run antivirus scan API', 'Machine.Scan', {
		body: { ScanType: { ...doc('Run antivirus scan API', "ScanType: Defines the type of the Scan. Allowed values are: 'Quick' or 'Full'."), values: ['Quick', 'Full'] } },
	}),
	action('restrictCodeExecution', 'Restrict app execution API', 'Machine.RestrictExecution'),
	action('unrestrictCodeExecution', 'Remove app restriction API', 'Machine.RestrictExecution'),
	action('collectInvestigationPackage', 'Collect investigation package API', 'Machine.CollectForensics'),
	action('StopAndQuarantineFile', 'Stop and quarantine file API', 'Machine.StopAndQuarantine', {
		rolesBasis: assumed(
			'Stop and quarantine file API',
			'The page lists Machine.StopAndQuarantine and also Machine.Read.All / Machine.ReadWrite.All (probably in error). The emulator accepts only Machine.StopAndQuarantine: the stricter reading.',
			'The package asks users for Machine.StopAndQuarantine, which works under either reading.',
		),
	}),
	action('offboard', 'Offboard machine API', 'Machine.Offboard', {
		limit: mde100('Offboard machine API'),
	}),

	/* ---------------------------------------------------------------- Machine actions */
	mdeReadRow('/api/machineactions', 'List MachineActions API', MACHINE_READ, ['$filter', '$top', '$skip'], {
		pageCap: MDE_LIST_CAP('List MachineActions API'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	}),
	mdeReadRow('/api/machineactions/:id', 'Get machineAction API', MACHINE_READ, []),
	{
		method: 'POST',
		path: '/api/machineactions/:id/cancel',
		api: 'mde',
		page: 'Cancel machine action API',
		roles: ['Machine.CollectForensics', 'Machine.Isolate', 'Machine.RestrictExecution', 'Machine.Scan', 'Machine.Offboard', 'Machine.StopAndQuarantine', 'Machine.LiveResponse'],
		rolesBasis: doc('Cancel machine action API', `${MDE_ONE_OF} (any one of the response-action permissions, whatever the action's type)`),
		query: [],
		queryBasis: doc('Cancel machine action API', 'Request body: Comment.'),
		limit: mde100('Cancel machine action API'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},
	mdeReadRow('/api/machineactions/:id/GetPackageUri', 'Get package SAS URI API', MACHINE_READ, [], {
		rolesBasis: doc('Get package SAS URI API', `${MDE_ONE_OF} (Application: Machine.Read.All, Machine.ReadWrite.All; Machine.CollectForensics is only the delegated row)`),
		limit: { ...doc('Get package SAS URI API', 'Rate limitations for this API are 2 calls per minute and 120 calls per hour.'), bucket: 'mde-package-uri', perMinute: 2, perHour: 120, per: 'app' },
		errors: [FORBIDDEN, THROTTLED, { status: 404, when: "the machine action for the collection exists but isn't complete" }],
	}),
	{
		method: 'GET',
		path: '/_files/:tenant/packages/:file',
		api: 'mde',
		page: 'Get package SAS URI API',
		roles: [],
		rolesBasis: doc('Get package SAS URI API', 'This link is valid for a short time and should be used immediately for downloading the package to a local storage.'),
		query: [],
		queryBasis: assumed(
			'Get package SAS URI API',
			'The SAS link carries its own signature; the emulator serves it without a token.',
			'The package downloads the link without a bearer token at once (the link is "valid for a short time"); a refusal surfaces as an error naming the download, the collection itself stays done.',
		),
		errors: [{ status: 403, when: 'expired or altered signature' }],
		public: true,
	},

	/* ---------------------------------------------------------------- Live Response */
	{
		method: 'POST',
		path: '/api/machines/:id/runliveresponse',
		api: 'mde',
		page: LR_RUN,
		roles: ['Machine.LiveResponse'],
		rolesBasis: doc(LR_RUN, `${MDE_ONE_OF} (Application: Machine.LiveResponse)`),
		query: [],
		queryBasis: doc(LR_RUN, 'Request body {Comment, Commands}; no query options.'),
		limit: { ...doc(LR_RUN, 'Rate limitations for this API are 10 calls per minute (more requests are responded with HTTP 429).'), bucket: 'mde-live-response', perMinute: 10, per: 'app' },
		errors: [
			FORBIDDEN,
			{ status: 404, when: "machine with the specified ID wasn't found" },
			{ status: 429, when: '10 calls per minute, or 25 concurrently running sessions ("requests exceeding the throttling limit receives a 429")' },
			{ status: 400, code: 'ActiveRequestAlreadyExists', when: 'a live response action is already running on the machine' },
			{ status: 400, code: 'InvalidRequestBody', when: 'commands not in the order PutFile, RunScript, GetFile, or a required parameter missing (assumed wording)' },
		],
	},
	{
		method: 'GET',
		path: '/api/machineactions/:id/GetLiveResponseResultDownloadLink(index=:index)',
		api: 'mde',
		page: LR_RESULT,
		roles: MACHINE_READ,
		rolesBasis: doc(LR_RESULT, `${MDE_ONE_OF} (Application: Machine.Read.All, Machine.ReadWrite.All; Machine.LiveResponse is only the delegated row)`),
		query: [],
		queryBasis: doc(LR_RESULT, 'The command index is part of the path; no query options.'),
		limit: { ...doc(LR_RESULT, MDE_100), bucket: 'mde', perMinute: 100, perHour: 1500, per: 'app' },
		errors: [
			FORBIDDEN,
			THROTTLED,
			{ status: 404, when: 'no result for that command (not completed, or PutFile, which has no result): assumed, the page is silent' },
		],
	},
	{
		method: 'GET',
		path: '/_files/:tenant/liveresponse/:action/:index',
		api: 'mde',
		page: LR_RESULT,
		roles: [],
		rolesBasis: doc(LR_RESULT, 'This link is valid for 30 minutes and should be used immediately for downloading the package to a local storage.'),
		query: [],
		queryBasis: assumed(
			LR_RESULT,
			'The SAS link carries its own signature; the emulator serves it without a token, streamed. A GetFile result is served as the raw file, as application/octet-stream without a file name (the page shows only the RunScript transcript).',
			'The node names the file after the device path and takes the MIME type from a specific Content-Type, else from the extension; a zipped result would arrive as that zip, under the path\'s name.',
		),
		errors: [{ status: 403, when: 'expired or altered signature' }],
		public: true,
	},
	{
		...mdeReadRow('/api/libraryfiles', 'List library files', ['Library.Manage'], []),
		errors: [FORBIDDEN, THROTTLED],
	},
	{
		method: 'POST',
		path: '/api/libraryfiles',
		api: 'mde',
		page: LR_UPLOAD,
		roles: ['Library.Manage'],
		rolesBasis: doc(LR_UPLOAD, `${MDE_ONE_OF} (Application: Library.Manage)`),
		query: [],
		queryBasis: doc(LR_UPLOAD, 'multipart/form-data: File (required), Description, ParametersDescription, OverrideIfExists.'),
		limit: mde100(LR_UPLOAD),
		errors: [
			FORBIDDEN,
			THROTTLED,
			{ status: 400, when: 'incorrect body; a file over 20MB ("File max size limitation is 20MB"); an existing file without OverrideIfExists (assumed)' },
		],
	},
	{
		method: 'DELETE',
		path: '/api/libraryfiles/:fileName',
		api: 'mde',
		page: LR_DELETE,
		roles: ['Library.Manage'],
		rolesBasis: doc(LR_DELETE, `${MDE_ONE_OF} (Application: Library.Manage)`),
		query: [],
		queryBasis: doc(LR_DELETE, 'The file name is part of the path; no query options.'),
		limit: mde100(LR_DELETE),
		errors: [FORBIDDEN, THROTTLED, { status: 404, when: 'specified file name was not found' }],
	},

	/* ---------------------------------------------------------------- Indicators */
	{
		method: 'GET',
		path: '/api/indicators',
		api: 'mde',
		page: 'List Indicators API',
		roles: TI_WRITE,
		rolesBasis: doc('List Indicators API', `${MDE_ONE_OF} (Application: Ti.ReadWrite, Ti.ReadWrite.All; Ti.Read.All is not listed)`),
		query: ['$filter', '$top', '$skip'],
		queryBasis: doc('List Indicators API', "The OData's $filter query is supported on: application, createdByDisplayName, expirationTime, generateAlert, title, rbacGroupNames, rbacGroupIds, indicatorValue, indicatorType, creationTimeDateTimeUtc, createdBy, action, and severity properties. $stop [sic: $top] with max value of 10,000. $skip."),
		pageCap: MDE_LIST_CAP('List Indicators API'),
		limit: mde100('List Indicators API'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	},
	{
		method: 'POST',
		path: '/api/indicators',
		api: 'mde',
		page: 'Submit or Update Indicator API',
		roles: TI_WRITE,
		rolesBasis: doc('Submit or Update Indicator API', `${MDE_ONE_OF} (Application: Ti.ReadWrite, Ti.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Submit or Update Indicator API', 'Request body: indicatorValue, indicatorType, action, title, description, expirationTime, severity, recommendedActions, rbacGroupNames, educateUrl, generateAlert.'),
		limit: mde100('Submit or Update Indicator API'),
		errors: [FORBIDDEN, THROTTLED, { status: 400, when: 'an invalid indicator' }],
		body: {
			action: {
				...doc(
					'Indicator resource type',
					'The indicator action types supported by the API are: Allowed, Audit, Block, BlockAndRemediate, Warn (Defender for Cloud Apps only). The prior response actions (AlertAndBlock, and Alert) will be supported until January 2022.',
				),
				values: ['Warn', 'Block', 'Audit', 'BlockAndRemediate', 'Allowed'],
			},
		},
	},
	{
		method: 'DELETE',
		path: '/api/indicators/:id',
		api: 'mde',
		page: 'Delete Indicator API',
		roles: TI_WRITE,
		rolesBasis: doc('Delete Indicator API', `${MDE_ONE_OF} (Application: Ti.ReadWrite, Ti.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Delete Indicator API', 'No query options.'),
		limit: mde100('Delete Indicator API'),
		errors: [FORBIDDEN, NOT_FOUND, THROTTLED],
	},
	{
		method: 'POST',
		path: '/api/indicators/import',
		api: 'mde',
		page: 'Import Indicators API',
		roles: TI_WRITE,
		rolesBasis: doc('Import Indicators API', `${MDE_ONE_OF} (Application: Ti.ReadWrite, Ti.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Import Indicators API', 'Request body: Indicators (up to 500).'),
		limit: { ...doc('Import Indicators API', 'Rate limitations for this API are 30 calls per minute.'), bucket: 'mde-indicator-import', perMinute: 30, per: 'app' },
		errors: [FORBIDDEN, THROTTLED],
	},
	{
		method: 'POST',
		path: '/api/indicators/BatchDelete',
		api: 'mde',
		page: 'Batch Delete Indicators API',
		roles: TI_WRITE,
		rolesBasis: doc('Batch Delete Indicators API', `${MDE_ONE_OF} (Application: Ti.ReadWrite, Ti.ReadWrite.All)`),
		query: [],
		queryBasis: doc('Batch Delete Indicators API', 'Request body: IndicatorIds.'),
		limit: { ...doc('Batch Delete Indicators API', 'Rate limitations for this API are 30 calls per minute.'), bucket: 'mde-indicator-import', perMinute: 30, per: 'app' },
		errors: [FORBIDDEN, THROTTLED],
	},

	/* ---------------------------------------------------------------- Vulnerability management */
	mdeReadRow('/api/vulnerabilities', 'List vulnerabilities', ['Vulnerability.Read.All'], ['$filter', '$top', '$skip'], {
		pageCap: MDE_LIST_CAP('List vulnerabilities', 8000),
		limit: mde100('List vulnerabilities'),
		errors: [FORBIDDEN, THROTTLED, ODATA_400],
	}),
	mdeReadRow('/api/vulnerabilities/machinesVulnerabilities', 'List vulnerabilities by machine and software', ['Vulnerability.Read.All'], ['$filter', '$top', '$skip'], {
		pageCap: MDE_LIST_CAP('List vulnerabilities by machine and software'),
		limit: mde100('List vulnerabilities by machine and software'),
	}),
	mdeReadRow('/api/vulnerabilities/:id', 'Get vulnerability by ID', ['Vulnerability.Read.All'], [], { limit: mdeAssumed100('Get vulnerability by ID') }),
	mdeReadRow('/api/vulnerabilities/:id/machineReferences', 'List devices by vulnerability', ['Vulnerability.Read.All'], [], { limit: mdeAssumed100('List devices by vulnerability') }),
	mdeReadRow('/api/machines/:id/vulnerabilities', 'Get discovered vulnerabilities', ['Vulnerability.Read.All'], [], {
		limit: {
			...doc('Get discovered vulnerabilities', 'Rate limitations for this API are 50 calls per minute and 1500 calls per hour.'),
			bucket: 'mde-machine-vulnerabilities',
			perMinute: 50,
			perHour: 1500,
			per: 'app',
		},
	}),
	mdeReadRow('/api/machines/:id/software', 'Get installed software', ['Software.Read.All'], [], { limit: mdeAssumed100('Get installed software') }),
	mdeReadRow('/api/software', 'List software inventory API', ['Software.Read.All'], ['$filter', '$top', '$skip'], {
		pageCap: MDE_LIST_CAP('List software inventory API'),
		limit: mdeAssumed100('List software inventory API'),
	}),
	mdeReadRow('/api/software/:id', 'Get software by ID', ['Software.Read.All'], [], { limit: mdeAssumed100('Get software by ID') }),
	mdeReadRow('/api/software/:id/machineReferences', 'List devices by software', ['Software.Read.All'], [], { limit: mdeAssumed100('List devices by software') }),
	mdeReadRow('/api/software/:id/vulnerabilities', 'List vulnerabilities by software', ['Vulnerability.Read.All'], [], { limit: mdeAssumed100('List vulnerabilities by software') }),
	mdeReadRow('/api/software/:id/distributions', 'List software version distribution', ['Software.Read.All'], [], { limit: mdeAssumed100('List software version distribution') }),
];

/* ------------------------------------------------------------------ lookups */

function norm(method: string, path: string): string {
	return `${method.toUpperCase()} ${path.toLowerCase()}`;
}

const BY_KEY = new Map<string, EndpointContract>();
for (const row of CONTRACT) {
	const key = norm(row.method, row.path);
	if (BY_KEY.has(key)) throw new Error(`contract.ts has two rows for ${key}`);
	BY_KEY.set(key, row);
}

/** The row of a route pattern (`GET`, `/api/machines/:id`), or undefined. */
export function contractRow(method: string, path: string): EndpointContract | undefined {
	return BY_KEY.get(norm(method, path));
}

/** Quota limits per bucket, read from the rows (rows sharing a bucket must agree). */
export function quotaLimitsFromContract(): Record<QuotaBucket, { perMinute?: number; perHour?: number }> {
	const out = {} as Record<QuotaBucket, { perMinute?: number; perHour?: number }>;
	for (const row of CONTRACT) {
		if (!row.limit) continue;
		const { bucket, perMinute, perHour } = row.limit;
		const prev = out[bucket];
		if (prev && (prev.perMinute !== perMinute || prev.perHour !== perHour)) {
			throw new Error(`contract.ts: rows in bucket ${bucket} disagree (${row.method} ${row.path})`);
		}
		out[bucket] = { perMinute, perHour };
	}
	return out;
}

/** Buckets counted per tenant (shared by every app), from the rows. */
export function perTenantBuckets(): Set<QuotaBucket> {
	return new Set(CONTRACT.filter((r) => r.limit?.per === 'tenant').map((r) => r.limit!.bucket));
}
