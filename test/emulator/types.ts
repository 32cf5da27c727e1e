/**
 * The contract between the emulator's core (HTTP/TLS server, Entra token endpoint, auth,
 * quotas, faults, request log) and its Defender semantics (data, OData, KQL, route handlers).
 */
import type { EmulatorMode } from './contract';

/** The three API surfaces, each with its own token audience. */
export type ApiFamily = 'mde' | 'xdr' | 'graph';

export type { EmulatorMode } from './contract';

/**
 * Quota buckets. Limits per bucket live in the core's quota table; a route names its bucket.
 * Windows are per (tenant, app, bucket), except the hunting buckets which are per tenant.
 */
export type QuotaBucket =
	| 'mde'
	| 'mde-hunting'
	| 'mde-package-uri'
	| 'mde-indicator-import'
	| 'mde-alert-batch-update'
	| 'mde-machine-vulnerabilities'
	| 'mde-live-response'
	| 'xdr-incidents'
	| 'xdr-hunting'
	| 'graph'
	| 'graph-hunting';

export interface CallerAuth {
	tenantId: string;
	appId: string;
	/** The `aud` of the presented token. */
	audience: string;
	roles: string[];
}

export interface ApiRequest {
	method: string;
	/** Path without query string, e.g. `/api/machines/abc/isolate`. */
	path: string;
	/** Named params from the route pattern (`:id`). Already URL-decoded. */
	params: Record<string, string>;
	/** Query string, URL-decoded. OData keys keep their `$` (`$filter`, `$top`, ...). */
	query: Record<string, string>;
	/** Parsed JSON body (undefined when none). */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	body: any;
	/** The undecoded body of a multipart/form-data request (`body` is then undefined). */
	rawBody?: Buffer;
	headers: Record<string, string>;
	auth: CallerAuth;
	/** Emulator clock, ms since epoch (tests may move it). */
	now: number;
	/** Origin of this server as the client reached it, e.g. `http://127.0.0.1:41234`. For nextLinks. */
	origin: string;
	/** Strict or lenient, and the seeded variants (see contract.ts). Absent when the core runs custom routes. */
	mode?: EmulatorMode;
}

export interface ApiResponse {
	status: number;
	/** JSON-serialised unless `raw` is given. */
	body?: unknown;
	raw?: Buffer | string;
	/** Streamed body (large downloads); `content-length` goes in `headers` when known. */
	stream?: () => NodeJS.ReadableStream;
	contentType?: string;
	headers?: Record<string, string>;
}

/** Throw from a handler; the core renders it in the family's error shape. */
export class ApiError extends Error {
	constructor(
		public status: number,
		public code: string,
		message: string,
	) {
		super(message);
	}
}

export interface RouteDef<Store = unknown> {
	method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
	/** Pattern with `:name` params, e.g. `/api/machines/:id/isolate`. Matched case-insensitively on literals. */
	path: string;
	api: ApiFamily;
	quota: QuotaBucket;
	/** Any one of these roles suffices. Empty = any valid token of the family's audience. */
	roles: string[];
	handler: (req: ApiRequest, store: Store) => ApiResponse | Promise<ApiResponse>;
	/**
	 * No bearer token (e.g. the investigation-package SAS download link, which real clients fetch
	 * without Authorization): the core skips auth, roles and quotas, passes `auth` with empty
	 * strings, and picks the store from the `:tenant` route param (tenant GUID).
	 */
	public?: true;
}

/** A route as the Defender modules write it: permissions and quota come from contract.ts. */
export type RouteImpl<Store = unknown> = Omit<RouteDef<Store>, 'roles' | 'quota'>;
