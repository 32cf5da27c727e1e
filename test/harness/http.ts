/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * `helpers.httpRequest` of the harness IS n8n's: n8n-core 1.122.48 (the request code of n8n
 * 1.123.x), imported from its dist. So redirects (n8n re-attaches Authorization on a redirect
 * to another origin unless `sendCredentialsOnCrossOriginRedirect: false`), header handling,
 * body encoding, qs serialisation and the errors thrown are n8n's, not a look-alike's.
 *
 * n8n-core's httpRequest needs no DI container setup (the logger is only reached by
 * `requestWithAuthentication` failures and form-data length errors).
 *
 * One addition: a test CA (`ca`) for the emulator's https URL. n8n takes extra CAs from
 * NODE_EXTRA_CA_CERTS at process start, which a jest worker cannot set; so for such requests
 * the harness runs n8n-core's own steps (convert → domain check → invoke) and only swaps the
 * https agent for one that also trusts the CA.
 */
import * as https from 'node:https';
import {
	convertN8nRequestToAxios,
	httpRequest as n8nHttpRequest,
	invokeAxios,
	removeEmptyBody,
} from 'n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions';
import type { IHttpRequestOptions, IN8nHttpFullResponse, IN8nHttpResponse } from 'n8n-workflow';

export interface HttpOptions {
	/** Extra CA (PEM) to trust for https URLs (the emulator's test CA). */
	ca?: string;
	/** Called for every request made (tests may count or inspect; never log secrets from it). */
	onRequest?: (opts: IHttpRequestOptions) => void;
}

/** n8n-core's httpRequest with the extra CA trusted (same steps as n8n-core's httpRequest). */
async function httpRequestTrusting(opts: IHttpRequestOptions, ca: string): Promise<IN8nHttpFullResponse | IN8nHttpResponse> {
	removeEmptyBody(opts);
	const config = convertN8nRequestToAxios(opts);
	if (config.data === undefined || (config.method !== undefined && config.method.toUpperCase() === 'GET')) {
		delete config.data;
	}
	config.httpsAgent = new https.Agent({
		servername: new URL(String(opts.url), opts.baseURL).hostname,
		rejectUnauthorized: opts.skipSslCertificateValidation !== true,
		ca,
	});
	const result = await invokeAxios(config, opts.auth);
	if (opts.returnFullResponse) {
		return { body: result.data, headers: result.headers, statusCode: result.status, statusMessage: result.statusText };
	}
	return result.data as IN8nHttpResponse;
}

export function makeHttpRequest(extra: HttpOptions = {}) {
	return async function httpRequest(opts: IHttpRequestOptions): Promise<unknown> {
		extra.onRequest?.(opts);
		const isHttps = /^https:/i.test(String(opts.baseURL ?? opts.url ?? ''));
		if (extra.ca && isHttps) return await httpRequestTrusting(opts, extra.ca);
		return await n8nHttpRequest(opts);
	};
}
