/**
 * One POST to Entra's token endpoint (client credentials or refresh token), shared by the
 * app-only and the delegated token requests. Never follows a redirect (a 307/308 would re-post
 * the secret, assertion or refresh token to wherever it points) and never passes on the raw
 * error, whose request config holds them.
 */
import type { IDataObject } from 'n8n-workflow';

import type { HttpRequester } from '../helpers/token';
import { tokenTimes } from '../helpers/token';
import type { FreshToken } from './tokenCache';

export interface TokenAnswer {
	status: number;
	/** The parsed JSON body (undefined when it is not JSON). */
	body: IDataObject | undefined;
	headers: IDataObject;
}

/** Entra's answer, or the socket error code when there was none. */
export async function postTokenForm(requester: HttpRequester, url: string, form: string): Promise<TokenAnswer | { networkCode: string }> {
	let response: { statusCode: number; body: unknown; headers?: IDataObject };
	try {
		response = (await requester.helpers.httpRequest({
			method: 'POST',
			url,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
			body: form,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: 30000,
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		})) as typeof response;
	} catch (error) {
		return { networkCode: String((error as { code?: unknown })?.code ?? 'network error') };
	}
	let body = response.body;
	if (typeof body === 'string') {
		try {
			body = JSON.parse(body);
		} catch {
			body = undefined;
		}
	}
	return { status: response.statusCode, body: body as IDataObject | undefined, headers: response.headers ?? {} };
}

/** The access token of a successful answer, with its expiry and renewal times. */
export function freshTokenOf(answer: TokenAnswer): FreshToken | undefined {
	const p = answer.body;
	if (answer.status < 200 || answer.status >= 300 || !p || typeof p.access_token !== 'string') return undefined;
	return { token: p.access_token, ...tokenTimes(p.access_token, p.expires_in) };
}

/** The AADSTS code of an error answer (first of `error_codes`). */
export function aadstsOf(answer: TokenAnswer): number | undefined {
	const codes = answer.body?.error_codes;
	return Array.isArray(codes) ? Number(codes[0]) : undefined;
}

/** Where a redirect answer points (an origin), for the error message. */
export function redirectOrigin(answer: TokenAnswer, url: string): string {
	try {
		return new URL(String(answer.headers.location ?? answer.headers.Location ?? ''), url).origin;
	} catch {
		return 'another address';
	}
}

/** Backoff before attempt `attempt` (from 1) of a token request. */
export function tokenBackoffMs(attempt: number, maxWaitMs = 10000): number {
	return Math.min(maxWaitMs, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
}
