/**
 * The one place transport errors are built. Each is a NodeApiError (what n8n shows) carrying
 * structured fields (`transportErrorOf` in helpers/errors.ts) that callers test instead of
 * matching message text.
 * Everything shown passes `redactAll` with the secrets in play (token, client secret, private
 * key), since parts of it come from upstream.
 */
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import {
	apiDisplayName,
	explainApiError,
	explainDelegatedForbidden,
	NETWORK_REASONS,
	parseApiError,
	redactAll,
	TRANSPORT_FIELDS,
	type TransportErrorFields,
	type TransportErrorKind,
} from '../helpers/errors';
import type { ApiFamily } from '../helpers/hosts';
import { callPermissions, delegatedScopes, userPermissionFor, type OperationRef } from '../helpers/permissions';
import { delegatedClaims, type DelegatedCredentialData } from '../helpers/delegated';
import type { DefenderCredentialData, TokenError } from '../helpers/token';

export interface ErrorText {
	message: string;
	description: string;
}

/** A NodeApiError with `fields`; message, description and details redacted. */
export function transportError(
	node: INode,
	itemIndex: number | undefined,
	text: ErrorText,
	fields: TransportErrorFields,
	details: IDataObject = {},
	secrets: Array<string | undefined> = [],
): NodeApiError {
	const clean = redactAll({ message: text.message, description: text.description, details }, secrets);
	const httpCode = fields.status !== undefined ? String(fields.status) : undefined;
	const response: IDataObject = { message: clean.message, description: clean.description, ...clean.details };
	if (httpCode !== undefined) response.httpCode = httpCode;
	const error = new NodeApiError(node, response as JsonObject, {
		message: clean.message,
		description: clean.description,
		httpCode,
		itemIndex,
	});
	// Not enumerable: n8n's error output stays as it was; callers read it with transportErrorOf.
	Object.defineProperty(error, TRANSPORT_FIELDS, { value: Object.freeze({ ...fields }), enumerable: false });
	return error;
}

/** The secrets of the credentials an upstream could echo (the token in use is added per request). */
export function credentialSecrets(...all: Array<DefenderCredentialData | DelegatedCredentialData | undefined>): Array<string | undefined> {
	const out: Array<string | undefined> = [];
	for (const c of all) {
		if (!c) continue;
		const oauth = (c.oauthTokenData ?? {}) as IDataObject;
		for (const v of [c.clientSecret, c.privateKey, c.privateKeyPassphrase, oauth.access_token, oauth.refresh_token]) {
			if (typeof v === 'string') out.push(v);
		}
	}
	return out;
}

/** No token: this attempt was not sent (`sent`: an earlier attempt was answered, e.g. 401). */
export function tokenFailure(node: INode, itemIndex: number | undefined, error: TokenError, sent = false): NodeApiError {
	return transportError(
		node,
		itemIndex,
		error.explanation,
		{
			kind: 'token',
			status: error.httpCode,
			code: error.aadsts !== undefined ? `AADSTS${error.aadsts}` : undefined,
			sent,
		},
		error.aadsts !== undefined ? { aadsts: error.aadsts } : {},
	);
}

export interface RequestDescription {
	node: INode;
	itemIndex?: number;
	api: ApiFamily;
	/** "GET /api/machines" */
	where: string;
	idempotent: boolean;
	secrets: Array<string | undefined>;
}

/** No answer, or an answer cut off mid-body. */
export function networkFailure(r: RequestDescription, networkCode: string, retries: number): NodeApiError {
	const neverSent = networkCode === 'ECONNREFUSED' || networkCode === 'ENOTFOUND' || networkCode === 'EAI_AGAIN';
	const reason = NETWORK_REASONS[networkCode] ?? 'network error';
	const safe = r.idempotent || neverSent;
	const text: ErrorText = safe
		? {
				message: `Could not reach the ${apiDisplayName(r.api)} (${r.where}; ${reason})${retries ? ` after ${retries} retries` : ''}`,
				description: 'Check that n8n can reach the API host (proxy, firewall, DNS) and the Cloud/base URLs of the credential; then run again.',
			}
		: {
				message: `The connection failed while sending ${r.where} (${reason}); the request may have reached Microsoft, so it was not repeated`,
				description: 'Check in the Defender portal (or with Machine Action: Get Many) whether the action was created before running the item again.',
			};
	return transportError(r.node, r.itemIndex, text, { kind: 'network', networkCode, sent: !neverSent }, { networkError: networkCode }, r.secrets);
}

/** A redirect of an authenticated request that was not followed. */
export function redirectRefused(
	r: RequestDescription & { method: string; baseOrigin: string; maxRedirects: number },
	status: number,
	target: { origin: string; sameApi: boolean },
): NodeApiError {
	const api = apiDisplayName(r.api);
	return transportError(
		r.node,
		r.itemIndex,
		{
			message: `The ${api} answered ${r.where} with a redirect (HTTP ${status}) to ${target.origin}; it was not followed`,
			description: target.sameApi
				? `Only reads follow redirects (at most ${r.maxRedirects}); ${r.method} requests are never repeated at another address. Check the credential's base URLs.`
				: `The access token is only sent to the ${api} host (${r.baseOrigin}). Check the Cloud and, for Custom Endpoints, the base URLs of the credential, or a proxy between n8n and Microsoft that redirects requests.`,
		},
		{ kind: 'redirect', status, sent: true },
		{},
		r.secrets,
	);
}

/** A 2xx answer that is not valid JSON (or not the expected shape) after the retries. */
export function malformedAnswer(r: RequestDescription, status: number, retries: number): NodeApiError {
	return transportError(
		r.node,
		r.itemIndex,
		{
			message: `The ${apiDisplayName(r.api)} answered ${r.where} with a response that was not valid JSON`,
			description: r.idempotent
				? `The response stayed malformed after ${retries} retries (a proxy or a truncated answer). Try again later.`
				: 'The request was accepted but its answer could not be read; check the result in the Defender portal before repeating it.',
		},
		{ kind: 'malformed-response', status, sent: true },
		{},
		r.secrets,
	);
}

/** The kind of a non-2xx API answer, from its status and Microsoft's error code and message. */
export function kindOfAnswer(status: number, code: string | undefined, apiMessage: string | undefined): TransportErrorKind {
	if (status === 401) return 'unauthorized';
	if (status === 403) return code === 'DisabledFeature' ? 'feature-disabled' : 'forbidden-permission';
	if (status === 404) return 'not-found';
	if (status === 429) return 'throttled';
	if (status >= 500) return 'server';
	// Microsoft documents the message ("Action is already in progress"); the code is observed.
	if (status === 400 && (code === 'ActiveRequestAlreadyExists' || /already in progress/i.test(apiMessage ?? ''))) {
		return 'conflict-already-running';
	}
	return 'rejected';
}

export interface AnswerContext extends RequestDescription {
	method: string;
	path: string;
	operation?: OperationRef;
	tenant: string;
	/** Set for a delegated token: a 403 is explained from its claims. */
	delegatedToken?: string;
	/** Text put before the description (Retry-After, "not repeated"). */
	prefix: string;
}

/** The error for a non-2xx answer the transport gives up on. */
export function answerError(a: AnswerContext, status: number, body: unknown): NodeApiError {
	const context = { family: a.api, method: a.method, path: a.path };
	const explained =
		status === 403 && a.delegatedToken !== undefined
			? { ...explainApiError(status, body, context), ...explainForbiddenDelegated(a, a.delegatedToken, body) }
			: explainApiError(status, body, { ...context, operation: a.operation, tenant: a.tenant });
	const apiMessage = parseApiError(body).message;
	return transportError(
		a.node,
		a.itemIndex,
		{ message: explained.message, description: `${a.prefix}${explained.description}` },
		{ kind: kindOfAnswer(status, explained.code, apiMessage), status, code: explained.code, sent: true },
		{
			...(explained.code && { code: explained.code }),
			...(explained.target && { target: explained.target }),
			...(explained.requestId && { requestId: explained.requestId }),
			...(explained.message && { apiMessage: String(apiMessage ?? '') }),
		},
		a.secrets,
	);
}

/** A 403 on a delegated token: the app's delegated permission, or the user's Defender role? */
function explainForbiddenDelegated(a: AnswerContext, token: string, body: unknown): ErrorText {
	const row = callPermissions(a.operation, { api: a.api, method: a.method, path: a.path });
	const { scp, user } = delegatedClaims(token);
	return explainDelegatedForbidden(
		a.api,
		scp,
		row ? delegatedScopes(row) : [],
		row ? userPermissionFor(row) : undefined,
		user,
		parseApiError(body).message,
	);
}
