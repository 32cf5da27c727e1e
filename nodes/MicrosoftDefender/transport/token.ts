/**
 * Client-credentials tokens (v2 endpoint) per audience, with a client secret or a certificate
 * assertion, through n8n's own `helpers.httpRequest`, cached in the one token cache.
 */
import { sleep } from 'n8n-workflow';

import { explainTokenError, NETWORK_REASONS, redactAll, type Explanation } from '../helpers/errors';
import { tokenUrl, type ApiFamily } from '../helpers/hosts';
import {
	buildForm,
	TokenError,
	tokenTarget,
	type DefenderCredentialData,
	type HttpRequester,
	type TokenTarget,
} from '../helpers/token';
import { isGuid } from '../helpers/validate';
import { cachedToken, forgetToken, type FreshToken } from './tokenCache';
import { aadstsOf, freshTokenOf, postTokenForm, redirectOrigin, tokenBackoffMs, type TokenAnswer } from './tokenEndpoint';

export interface TokenRequestOptions {
	/** Attempts on 429/5xx/network failures of the token endpoint (default 3). */
	attempts?: number;
	maxWaitMs?: number;
}

const NETWORK_HINT =
	'Check that n8n can reach the login host (proxy, firewall, DNS) and, for Custom Endpoints, the Login URL.';

/** An answer that is worth another attempt (throttled, transient, 2xx without a token). */
function transient(status: number): TokenError {
	return new TokenError(
		{
			message: `The login endpoint failed (HTTP ${status})`,
			description: status === 429 ? 'Entra throttled the token requests; try again in a minute.' : 'Entra had a transient problem; try again.',
		},
		status,
	);
}

/** A final refusal (redirect or Entra error), explained and redacted. */
function refusal(c: DefenderCredentialData, target: TokenTarget, url: string, form: string, answer: TokenAnswer): TokenError {
	const secrets = [c.clientSecret, c.privateKey, c.privateKeyPassphrase, new URLSearchParams(form).get('client_assertion') ?? undefined].map(
		(v) => (typeof v === 'string' ? v : undefined),
	);
	if (answer.status >= 300 && answer.status < 400) {
		const text = {
			message: `The login endpoint answered with a redirect (HTTP ${answer.status}) to ${redirectOrigin(answer, url)}; it was not followed`,
			description:
				'The client secret or certificate assertion is only sent to the login host itself. Check the Cloud and, for Custom Endpoints, the Login URL (for example https://login.microsoftonline.com), or a proxy that redirects login requests.',
		};
		return new TokenError(redactAll(text, secrets), answer.status);
	}
	const explanation = explainTokenError(answer.status, answer.body, {
		tenant: target.tenant,
		family: target.family,
		authority: target.endpoints.authority,
		clientId: target.clientId,
		secretLooksLikeId: c.authentication === 'certificate' ? undefined : isGuid(String(c.clientSecret ?? '').trim()),
	});
	return new TokenError(redactAll(explanation, secrets), answer.status, aadstsOf(answer));
}

/** One token request (no cache). Never includes the secret or assertion in what it throws. */
export async function requestToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	target: TokenTarget,
	options: TokenRequestOptions = {},
): Promise<FreshToken> {
	const url = tokenUrl(target.endpoints.authority, target.tenant);
	const attempts = Math.max(1, options.attempts ?? 3);
	let lastProblem: TokenError | undefined;
	for (let attempt = 0; attempt < attempts; attempt++) {
		if (attempt > 0) await sleep(tokenBackoffMs(attempt, options.maxWaitMs));
		const form = buildForm(c, target, url);
		const answer = await postTokenForm(requester, url, form);
		if ('networkCode' in answer) {
			const reason = NETWORK_REASONS[answer.networkCode] ?? 'network error';
			lastProblem = new TokenError({ message: `Could not reach the login endpoint (${reason})`, description: NETWORK_HINT });
			continue;
		}
		const isRedirect = answer.status >= 300 && answer.status < 400;
		const fresh = isRedirect ? undefined : freshTokenOf(answer);
		if (fresh) return fresh;
		if (!isRedirect && (answer.status === 429 || answer.status >= 500 || (answer.status >= 200 && answer.status < 300))) {
			lastProblem = transient(answer.status);
			continue;
		}
		throw refusal(c, target, url, form, answer);
	}
	throw lastProblem ?? new TokenError({ message: 'Could not get an access token', description: NETWORK_HINT });
}

/** A cached (or fresh) access token for the target; shares in-flight requests. */
export async function getAccessToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	target: TokenTarget,
	options: TokenRequestOptions = {},
): Promise<string> {
	// An early renewal gets one attempt: the current token still works if it fails.
	return await cachedToken(target.cacheKey, async (early) =>
		await requestToken(requester, c, target, { ...options, attempts: early ? 1 : options.attempts }),
	);
}

/** Forgets the cached token of the target (the next call mints a fresh one, e.g. after consent). */
export function dropToken(target: TokenTarget): void {
	forgetToken(target.cacheKey);
}

/** Forgets `token` (after a 401) unless a newer one already replaced it. */
export function invalidateToken(target: TokenTarget, token: string): void {
	forgetToken(target.cacheKey, token);
}

export interface TokenAttempt {
	token?: string;
	target?: TokenTarget;
	error?: Explanation;
	aadsts?: number;
	httpCode?: number;
}

/** Like requestToken (no cache) but never throws: for the credential test and the permission doctor. */
export async function attemptToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	family: ApiFamily,
	options: TokenRequestOptions & { tenant?: string; useCache?: boolean } = {},
): Promise<TokenAttempt> {
	let target: TokenTarget | undefined;
	try {
		target = tokenTarget(c, family, options.tenant);
		const token = options.useCache
			? await getAccessToken(requester, c, target, options)
			: (await requestToken(requester, c, target, options)).token;
		return { token, target };
	} catch (error) {
		if (error instanceof TokenError) {
			return { target, error: error.explanation, aadsts: error.aadsts, httpCode: error.httpCode };
		}
		return { target, error: { message: 'Could not get an access token', description: 'An unexpected error occurred.' } };
	}
}
