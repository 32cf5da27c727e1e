/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * `helpers.httpRequest` with n8n-core's semantics (packages/core/.../request-helpers/http-request.ts,
 * n8n 1.x and 2.x), over real sockets with axios:
 *  - `qs` → axios params, serialised like qs `arrayFormat: 'indices'` (n8n's default);
 *  - `body`: string or non-empty object sent as is (objects as JSON); URLSearchParams → form;
 *    an object with `Content-Type: application/x-www-form-urlencoded` → URLSearchParams;
 *    never a body on GET;
 *  - `json: true` → `Accept: application/json` (unless set); axios parses JSON responses and
 *    leaves an unparsable body as a string (silent JSON parsing), like n8n;
 *  - `encoding: 'arraybuffer'` → axios `responseType` (a Buffer in Node);
 *  - `returnFullResponse` → `{ body, headers, statusCode, statusMessage }`;
 *  - `ignoreHttpStatusErrors: true` → every status resolves; otherwise a non-2xx rejects with the
 *    raw AxiosError (that is what n8n's `httpRequest` throws; only `httpRequestWithAuthentication`
 *    wraps it in a NodeApiError);
 *  - `timeout` (default 300 s), `disableFollowRedirect`, `skipSslCertificateValidation`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import axios from 'axios';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { isObjectEmpty } from 'n8n-workflow';
import type { IDataObject, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

export interface HttpOptions {
	/** Extra CA (PEM) to trust for https URLs (the emulator's test CA). */
	ca?: string;
	/** Called for every request made (tests may count or inspect; never log secrets from it). */
	onRequest?: (opts: IHttpRequestOptions) => void;
}

const client = axios.create({ timeout: 300000, proxy: false });
// n8n clears axios' default content types so nothing is sent as form by accident.
client.defaults.headers.post = {};
client.defaults.headers.put = {};
client.defaults.headers.patch = {};

function encode(v: unknown): string {
	if (v instanceof Date) return encodeURIComponent(v.toISOString());
	return encodeURIComponent(String(v));
}

/** qs.stringify(params, { arrayFormat: 'indices' }) for the shapes nodes use. */
export function stringifyQuery(params: unknown, format: 'indices' | 'brackets' | 'repeat' | 'comma' = 'indices'): string {
	if (params instanceof URLSearchParams) return params.toString();
	const parts: string[] = [];
	const walk = (prefix: string, value: unknown) => {
		if (value === undefined) return;
		if (value === null) {
			parts.push(`${encodeURIComponent(prefix)}=`);
			return;
		}
		if (Array.isArray(value)) {
			if (format === 'comma') {
				parts.push(`${encodeURIComponent(prefix)}=${value.map(encode).join(',')}`);
				return;
			}
			value.forEach((v, i) => {
				const key =
					format === 'indices' ? `${prefix}[${i}]` : format === 'brackets' ? `${prefix}[]` : prefix;
				walk(key, v);
			});
			return;
		}
		if (typeof value === 'object' && !(value instanceof Date)) {
			for (const [k, v] of Object.entries(value as object)) walk(prefix ? `${prefix}[${k}]` : k, v);
			return;
		}
		parts.push(`${encodeURIComponent(prefix)}=${encode(value)}`);
	};
	if (params && typeof params === 'object') {
		for (const [k, v] of Object.entries(params as object)) walk(k, v);
	}
	return parts.join('&');
}

function findHeader(headers: Record<string, unknown>, name: string): string | undefined {
	return Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
}

const isEmptyObject = (v: unknown): boolean => isObjectEmpty(v as object);

export function toAxiosConfig(opts: IHttpRequestOptions, extra: HttpOptions = {}): AxiosRequestConfig {
	const headers: Record<string, unknown> = { ...((opts.headers as IDataObject) ?? {}) };
	const config: AxiosRequestConfig = {
		method: opts.method ?? 'GET',
		url: opts.url,
		baseURL: opts.baseURL,
		timeout: opts.timeout ?? 300000,
		auth: opts.auth as AxiosRequestConfig['auth'],
		params: opts.qs,
		maxBodyLength: Infinity,
		maxContentLength: Infinity,
		paramsSerializer: {
			serialize: (p) => stringifyQuery(p, (opts.arrayFormat as 'indices') ?? 'indices'),
		},
	};
	if (opts.disableFollowRedirect) config.maxRedirects = 0;
	if (opts.encoding !== undefined) config.responseType = opts.encoding as AxiosRequestConfig['responseType'];
	if (opts.abortSignal) config.signal = opts.abortSignal as AxiosRequestConfig['signal'];

	const agentOptions: https.AgentOptions = {};
	if (opts.skipSslCertificateValidation) agentOptions.rejectUnauthorized = false;
	if (extra.ca) agentOptions.ca = extra.ca;
	config.httpsAgent = new https.Agent(agentOptions);
	config.httpAgent = new http.Agent();

	const body = opts.body as unknown;
	const method = (opts.method ?? 'GET').toUpperCase();
	if (body) {
		const ctKey = findHeader(headers, 'content-type');
		if (ctKey === undefined && body instanceof URLSearchParams) {
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
		}
		if (typeof body === 'string' || (typeof body === 'object' && !isEmptyObject(body))) {
			config.data = body;
		}
		const isForm = ctKey !== undefined && headers[ctKey] === 'application/x-www-form-urlencoded';
		if (isForm && typeof body === 'object' && !(body instanceof URLSearchParams) && !Buffer.isBuffer(body)) {
			// axios would encode it the same way; do it explicitly.
			config.data = new URLSearchParams(body as Record<string, string>);
		}
	}
	if (method === 'GET') delete config.data;
	if (opts.json && !findHeader(headers, 'accept')) headers.Accept = 'application/json';
	if (!findHeader(headers, 'user-agent')) headers['User-Agent'] = 'n8n';
	if (config.data === undefined) {
		// n8n's interceptor: no content type when nothing is sent.
		const ct = findHeader(headers, 'content-type');
		if (ct && !opts.body) delete headers[ct];
	}
	config.headers = headers as AxiosRequestConfig['headers'];
	if (opts.ignoreHttpStatusErrors) config.validateStatus = () => true;
	return config;
}

export function toPlainHeaders(h: AxiosResponse['headers']): IDataObject {
	const out: IDataObject = {};
	for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v as IDataObject[string];
	return out;
}

export function makeHttpRequest(extra: HttpOptions = {}) {
	return async function httpRequest(opts: IHttpRequestOptions): Promise<unknown> {
		extra.onRequest?.(opts);
		const config = toAxiosConfig(opts, extra);
		const result = await client.request(config);
		if (opts.returnFullResponse) {
			const full: IN8nHttpFullResponse = {
				body: result.data,
				headers: toPlainHeaders(result.headers),
				statusCode: result.status,
				statusMessage: result.statusText,
			};
			return full;
		}
		return result.data;
	};
}
