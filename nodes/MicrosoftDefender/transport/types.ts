import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
	IPollFunctions,
} from 'n8n-workflow';

import type { ApiFamily } from '../helpers/hosts';
import type { QuotaKey } from '../helpers/limits';
import type { OperationRef } from '../helpers/permissions';

export type DefenderContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

export interface DefenderRequest {
	/** 'mde' | 'graph': picks the base URL and the token audience. */
	api: ApiFamily;
	method: IHttpRequestMethods;
	/** '/api/machines/{id}/isolate' or '/v1.0/security/incidents' (callers encode IDs). */
	path: string;
	qs?: IDataObject;
	body?: IDataObject | IDataObject[];
	headers?: IDataObject;
	/** Absolute URL (nextLink, package link). Must be on the API's host unless `noAuth`. */
	url?: string;
	/** Default: true for GET/PUT/PATCH/DELETE, false for POST. Non-idempotent requests are not replayed after they may have reached the server (429 is always safe). */
	idempotent?: boolean;
	/** Return the body as a Buffer. */
	binary?: boolean;
	/** Return a 2xx body as a readable stream (large downloads go straight into n8n's binary store). */
	stream?: boolean;
	/** Send this body as is (e.g. multipart/form-data); set its Content-Type in `headers`. */
	rawBody?: Buffer;
	/** No Authorization header (foreign SAS links). */
	noAuth?: boolean;
	itemIndex?: number;
	/** For 403 fix hints from the permissions table. */
	operation?: OperationRef;
	/** Quota bucket for pacing; derived from the path when absent. */
	quota?: QuotaKey;
	/** Request timeout; default 120 s (hunting 210 s). */
	timeoutMs?: number;
}

export interface DefenderResponse<T = unknown> {
	statusCode: number;
	body: T;
	headers: IDataObject;
}

/** Header value by case-insensitive name. */
export function header(headers: IDataObject | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	const lower = name.toLowerCase();
	const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
	const v = key ? headers[key] : undefined;
	return v === undefined || v === null ? undefined : String(v);
}
