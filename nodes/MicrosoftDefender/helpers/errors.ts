/**
 * The one table of Entra (AADSTS) error codes and the API error explanations. The credential's
 * Test button and the transport both read it. Messages say what happened; descriptions say
 * how to fix it. Nothing here ever includes a secret, key, assertion or token.
 */
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { CLOUDS, RESOURCE_APPS, cloudNameList, type ApiFamily } from './hosts';
import { callPermissions, rolesOf, type OperationRef } from './permissions';

export interface Explanation {
	message: string;
	description: string;
}

const CONSENT_STEP =
	'In the Entra admin center open App registrations → your app → API permissions, add the permission as an Application permission, then press "Grant admin consent".';

/**
 * The tenant-wide admin-consent URL of the app for a tenant (Learn: "Grant tenant-wide admin
 * consent to an application": {login host}/{organization}/adminconsent?client_id={client-id}).
 * It holds the client ID only, never a secret.
 */
export function adminConsentUrl(authority: string, tenant: string, clientId: string): string {
	return `${authority.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

/** Where the token was requested: fills in the real admin-consent URL. */
export interface ConsentContext {
	authority?: string;
	tenant?: string;
	clientId?: string;
}

/**
 * AADSTS700016: the app has no service principal in the tenant. For an app registered in another
 * tenant (an MSSP's multi-tenant app) that means nobody consented to it here; else the Client ID
 * is wrong. Consent first, with the URL when the login host, tenant and client ID are known.
 */
function consentFirst(ctx: ConsentContext = {}): string {
	const url = ctx.authority && ctx.tenant && ctx.clientId ? adminConsentUrl(ctx.authority, ctx.tenant, ctx.clientId) : undefined;
	const where = ctx.tenant ? `tenant ${ctx.tenant}` : 'this tenant';
	return `The app is not consented in ${where}: an administrator of ${where} (Privileged Role Administrator or Global Administrator) must consent to it first${
		url ? ` by opening ${url} and accepting` : ' (App registrations → your app → API permissions → "Grant admin consent", or the admin-consent URL {login host}/{tenant}/adminconsent?client_id={client ID})'
	}; then test again. If the app is registered in ${where} itself, the Client ID is wrong: use the Application (client) ID from the app registration overview.`;
}

/** AADSTS code → explanation. Match on the number: Microsoft's texts change. */
export const AADSTS_EXPLANATIONS: Record<number, Explanation> = {
	7000215: {
		message: 'Invalid client secret (AADSTS7000215)',
		description:
			"This looks like the secret's ID; paste the secret's Value. In the app registration → Certificates & secrets, the Value is shown only once, right after you create the secret: create a new secret and copy its Value column.",
	},
	7000222: {
		message: 'The client secret has expired (AADSTS7000222)',
		description:
			'Create a new client secret in the app registration → Certificates & secrets, paste its Value here, or switch the credential to certificate authentication.',
	},
	70002: {
		message: 'The client credentials were rejected (AADSTS70002)',
		description: "Check the Client ID and paste the secret's Value (not its ID) again.",
	},
	7000218: {
		message: 'No client secret or certificate was sent (AADSTS7000218)',
		description: 'Fill in the Client Secret, or choose Certificate and paste the private key and certificate.',
	},
	90002: {
		message: 'Tenant not found (AADSTS90002)',
		description:
			`Wrong tenant or wrong cloud: check the Tenant ID (the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com) and that the Cloud matches where the tenant lives (a GCC High or DoD tenant needs "${CLOUDS.usGccHigh.displayName}" or "${CLOUDS.usDod.displayName}").`,
	},
	900023: {
		message: 'The tenant ID is malformed (AADSTS900023)',
		description: 'Enter the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com.',
	},
	90038: {
		message: 'The tenant is in another national cloud (AADSTS90038)',
		description: `Wrong cloud: pick the Cloud where the tenant lives (${cloudNameList()}).`,
	},
	700016: {
		message: 'The app is not consented in this tenant (AADSTS700016: application not found in the directory)',
		description: consentFirst(),
	},
	700027: {
		message: 'The certificate assertion was rejected (AADSTS700027)',
		description:
			'The certificate is not registered on the app, or the private key does not belong to it: upload this certificate (the .cer/.pem public part) under Certificates & secrets → Certificates, and make sure the private key matches it.',
	},
	700024: {
		message: 'The certificate assertion is outside its valid time window (AADSTS700024)',
		description: "Check the clock of the n8n host (it must be in sync with internet time) and try again.",
	},
	7000112: {
		message: 'The application is disabled (AADSTS7000112)',
		description: 'An admin disabled the app (Enterprise applications → Properties → Enabled for users to sign in). Enable it or use another app.',
	},
	53003: {
		message: 'Blocked by Conditional Access (AADSTS53003)',
		description: 'A Conditional Access policy for workload identities blocks this app from this location. Ask your Entra admin to allow it.',
	},
	500011: {
		message: 'The API was not found in the tenant (AADSTS500011)',
		description:
			'The resource is not provisioned in this tenant or the cloud is wrong: Defender for Endpoint must be set up in the tenant (the WindowsDefenderATP service principal exists after onboarding), the Cloud must match the tenant, and any scope override must be exact.',
	},
	1002012: {
		message: 'Invalid scope for app-only access (AADSTS1002012)',
		description: 'Scope problem: client credential scopes must be "{resource}/.default". Clear the scope overrides or end them with /.default.',
	},
	70011: {
		message: 'The scope is invalid (AADSTS70011)',
		description: 'Scope problem: check the scope overrides under Advanced (or clear them to use the defaults for the cloud).',
	},
	700022: {
		message: 'The scope names more than one resource (AADSTS700022)',
		description: 'Scope problem: each scope override must name exactly one API, ending in /.default.',
	},
	65001: {
		message: 'Consent missing (AADSTS65001)',
		description: CONSENT_STEP,
	},
};

export interface TokenErrorBody {
	error?: string;
	error_description?: string;
	error_codes?: number[];
}

/** The AADSTS code of a token-endpoint error body, if any. */
export function aadstsCode(body: unknown): number | undefined {
	if (!body || typeof body !== 'object') return undefined;
	const b = body as TokenErrorBody;
	if (Array.isArray(b.error_codes) && typeof b.error_codes[0] === 'number') return b.error_codes[0];
	const m = /AADSTS(\d+)/.exec(String(b.error_description ?? ''));
	return m ? Number(m[1]) : undefined;
}

/** First line of Entra's error description, without trace/correlation IDs and timestamps. */
export function entraSummary(body: unknown): string {
	const d = String((body as TokenErrorBody | undefined)?.error_description ?? '');
	return redact(d.split(/\r?\n/)[0].trim());
}

/** 7000215 when the secret does not look like a secret ID (a GUID). */
const WRONG_SECRET_VALUE: Explanation = {
	message: 'Invalid client secret (AADSTS7000215)',
	description:
		"The secret does not match the app: paste the secret's Value (not its Secret ID) from the app registration → Certificates & secrets, and check that it belongs to this Client ID. The Value is shown only once; if you no longer have it, create a new secret.",
};

/** Explains a failed token request (status + body) for the user. */
export function explainTokenError(
	status: number,
	body: unknown,
	context: { tenant: string; family: ApiFamily; secretLooksLikeId?: boolean } & ConsentContext,
): Explanation {
	const code = aadstsCode(body);
	let known = code !== undefined ? AADSTS_EXPLANATIONS[code] : undefined;
	if (code === 7000215 && context.secretLooksLikeId === false) known = WRONG_SECRET_VALUE;
	if (code === 700016) known = { message: AADSTS_EXPLANATIONS[700016].message, description: consentFirst(context) };
	const api = RESOURCE_APPS[context.family];
	if (known) {
		return { message: `Could not get an access token for ${api}: ${known.message}`, description: known.description };
	}
	const summary = entraSummary(body);
	const rawError = (body as TokenErrorBody | undefined)?.error;
	const error = rawError === undefined ? undefined : redact(String(rawError));
	if (status === 404) {
		return {
			message: `Could not get an access token for ${api}: the login endpoint was not found (HTTP 404)`,
			description: 'Check the Cloud, and for Custom Endpoints the Login URL (for example https://login.microsoftonline.com).',
		};
	}
	return {
		message: `Could not get an access token for ${api}${code ? ` (AADSTS${code})` : ''}${error ? `: ${error}` : ''} (HTTP ${status})`,
		description: summary || 'Check the Tenant ID, Client ID, secret or certificate, and the Cloud.',
	};
}

/* ------------------------------------------------------------------------------------------
 * API errors
 * ---------------------------------------------------------------------------------------- */

/** `Missing application roles. API required roles: X,Y, application roles: Z.` → [X, Y] */
export function parseMissingRoles(message: unknown): { required: string[]; granted: string[] } | undefined {
	const text = String(message ?? '');
	const m = /API required roles:\s*([^]*?),\s*application roles:\s*([^]*?)\.?\s*$/i.exec(text);
	if (!m) {
		const only = /API required roles:\s*([^]*?)\.?\s*$/i.exec(text);
		if (!only) return undefined;
		return { required: splitRoles(only[1]), granted: [] };
	}
	return { required: splitRoles(m[1]), granted: splitRoles(m[2]) };
}

function splitRoles(list: string): string[] {
	return list
		.split(/[,\s]+/)
		.map((r) => r.trim().replace(/\.$/, ''))
		.filter((r) => r.length > 0);
}

export interface ApiErrorBody {
	code?: string;
	message?: string;
	target?: string;
	requestId?: string;
}

/**
 * Reads MDE/XDR `{error:{code,message,target}}` and Graph `{error:{code,message,innerError}}`
 * bodies. This is where upstream text enters every error, so secrets it echoes are redacted here.
 */
export function parseApiError(body: unknown): ApiErrorBody {
	return redactAll(parseApiErrorRaw(body));
}

function parseApiErrorRaw(body: unknown): ApiErrorBody {
	let b: unknown = body;
	if (typeof body === 'string') {
		try {
			b = JSON.parse(body);
		} catch {
			return { message: body.length > 300 ? `${body.slice(0, 300)}…` : body };
		}
	}
	if (Buffer.isBuffer(b)) return parseApiErrorRaw(b.toString('utf8'));
	const err = (b as IDataObject | undefined)?.error;
	if (err && typeof err === 'object') {
		const e = err as IDataObject;
		const inner = (e.innerError ?? e.innererror) as IDataObject | undefined;
		return {
			code: e.code !== undefined ? String(e.code) : undefined,
			message: e.message !== undefined ? String(e.message) : undefined,
			target: e.target !== undefined ? String(e.target) : undefined,
			requestId: inner?.['request-id'] !== undefined ? String(inner['request-id']) : undefined,
		};
	}
	if (typeof err === 'string') return { code: err, message: String((b as IDataObject).message ?? err) };
	const msg = (b as IDataObject | undefined)?.message;
	return msg !== undefined ? { message: String(msg) } : {};
}

const API_NAMES: Record<ApiFamily, string> = {
	mde: 'Defender for Endpoint API',
	graph: 'Microsoft Graph security API',
};

export function apiDisplayName(family: ApiFamily): string {
	return API_NAMES[family];
}

/** How to grant `roles` on the family's resource app. */
export function grantHint(family: ApiFamily, roles: string[]): string {
	const app = RESOURCE_APPS[family];
	const where =
		family === 'graph'
			? 'Microsoft Graph'
			: `"${app}" (under "APIs my organization uses")`;
	const list = roles.length > 1 ? `one of ${roles.join(', ')} (least privileged first)` : roles[0];
	return `Grant the application permission ${list} on ${where}, then press "Grant admin consent". New permissions reach the node with the next token (within an hour, or re-save the credential).`;
}

export interface ApiErrorContext {
	family: ApiFamily;
	method: string;
	path: string;
	operation?: OperationRef;
	tenant?: string;
}

/** Explains a non-2xx API answer. */
export function explainApiError(status: number, body: unknown, ctx: ApiErrorContext): Explanation & ApiErrorBody {
	const parsed = parseApiError(body);
	const api = API_NAMES[ctx.family];
	const ms = parsed.message ? `: ${parsed.message}` : '';
	const ref = parsed.target || parsed.requestId ? ` (request ID ${parsed.target ?? parsed.requestId})` : '';
	const base = { ...parsed };
	if (status === 403) {
		const missing = parseMissingRoles(parsed.message);
		// Microsoft's text may name no role: then the refused call's own row says what is missing.
		const row = callPermissions(ctx.operation, { api: ctx.family, method: ctx.method, path: ctx.path });
		const roles = missing?.required.length ? missing.required : row ? rolesOf(row) : [];
		if (parsed.code === 'DisabledFeature') {
			return {
				...base,
				message: `The ${api} refused the request: the feature is not enabled in this tenant${ms}`,
				description: 'The tenant is not licensed for this feature (for example advanced hunting or vulnerability management on Defender for Business).',
			};
		}
		return {
			...base,
			message: `Forbidden by the ${api}: the app lacks the permission for this call${roles.length ? ` (needs ${roles.join(' or ')} on ${RESOURCE_APPS[ctx.family]})` : ''}`,
			description: roles.length
				? `${grantHint(ctx.family, roles)}${missing ? ` The token currently carries: ${missing.granted.length ? missing.granted.join(', ') : 'no roles'}.` : ''}`
				: `${parsed.message ?? 'Access denied.'} ${CONSENT_STEP}`,
		};
	}
	if (status === 404) {
		return {
			...base,
			message: `Not found: ${parsed.message ?? `${ctx.method} ${ctx.path}`}`,
			description: `The ${api} has no such object in this tenant${ctx.tenant ? ` (${ctx.tenant})` : ''}. Check the ID${ref}.`,
		};
	}
	if (status === 401) {
		return {
			...base,
			message: `The ${api} rejected the access token${ms}`,
			description: `The token was refused even after a fresh one was requested: check that the Cloud and the API base URLs match the tenant, and that the app has permissions on ${RESOURCE_APPS[ctx.family]}.`,
		};
	}
	if (status === 429) {
		return {
			...base,
			message: `Throttled by the ${api} (HTTP 429)${ms}`,
			description: 'The API quota for this tenant was used up and the retries were exhausted. Wait for the time given above (or a minute) and run again, or spread the work with "Max Retries" and "Max Retry Wait" under Request Options.',
		};
	}
	if (status >= 500) {
		return {
			...base,
			message: `The ${api} failed with HTTP ${status}${ms}`,
			description: `A server-side error at Microsoft${ref}; retries were exhausted or the request was not safe to repeat. Try again later.`,
		};
	}
	return {
		...base,
		message: `The ${api} rejected the request (HTTP ${status})${ms}`,
		description: `${parsed.code ? `Error code ${parsed.code}${ref}. ` : ''}Check the parameters of this item.`,
	};
}

/**
 * What an upstream may echo back that must never reach a user, a log or n8n's database: form
 * fields and JSON keys that carry secrets, bearer tokens, JWTs (access tokens, client
 * assertions) and PEM blocks (private keys).
 */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
	[/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, '[redacted key]'],
	[
		/\b(client_secret|client_assertion|assertion|access_token|refresh_token|id_token|password|passphrase)(\\?["']?\s*[=:]\s*\\?["']?)[^\s&"'\\,;}]*/gi,
		'$1$2[redacted]',
	],
	[/\b(Bearer|Basic)(\s+|%20|\+)[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
	[/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g, '[redacted token]'],
];

/**
 * Removes secrets from text that may come from an upstream (error bodies, reason phrases): every
 * occurrence of each known secret (length ≥ 6; a PEM key also line by line), then anything that
 * looks like a secret-bearing field, a bearer token, a JWT or a PEM block.
 */
export function redact(text: string, secrets: Array<string | undefined> = []): string {
	let out = text;
	const values: string[] = [];
	for (const s of secrets) {
		if (typeof s !== 'string') continue;
		values.push(s);
		if (s.includes('-----BEGIN')) {
			for (const line of s.split(/\r?\n/)) if (!line.startsWith('-----')) values.push(line.trim());
		}
	}
	for (const v of values.filter((x) => x.length >= 6).sort((a, b) => b.length - a.length)) {
		out = out.split(v).join('[redacted]');
	}
	for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
	return out;
}

/** `redact` over every string of an explanation-like object (one level, plus nested objects). */
export function redactAll<T>(value: T, secrets: Array<string | undefined> = []): T {
	if (typeof value === 'string') return redact(value, secrets) as T;
	if (Array.isArray(value)) return value.map((v) => redactAll(v, secrets)) as T;
	if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactAll(v, secrets);
		return out as T;
	}
	return value;
}

/** Plain words for socket errors (n8n replaces messages that contain the raw codes). */
export const NETWORK_REASONS: Record<string, string> = {
	ECONNRESET: 'connection reset',
	ERR_BAD_RESPONSE: 'response cut off',
	ECONNABORTED: 'timed out',
	ETIMEDOUT: 'timed out',
	ECONNREFUSED: 'connection refused',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'DNS lookup failed',
	EPIPE: 'connection closed',
	EHOSTUNREACH: 'host unreachable',
	CERT_HAS_EXPIRED: 'TLS certificate expired',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted TLS certificate',
};


/* ------------------------------------------------------------------------------------------
 * Delegated sign-in (authorization code + refresh token)
 * ---------------------------------------------------------------------------------------- */

const SIGN_IN_AGAIN =
	'Open the Microsoft Defender Delegated OAuth2 API credential and press "Connect my account" (or "Reconnect") to sign in again as the analyst; then run the workflow again.';

/** AADSTS codes of the refresh-token and authorization-code grants (Learn: "Microsoft Entra authentication and authorization error codes"). */
export const DELEGATED_AADSTS_EXPLANATIONS: Record<number, Explanation> = {
	70008: {
		message: 'The sign-in has expired (AADSTS70008: the refresh token or authorization code expired)',
		description: SIGN_IN_AGAIN,
	},
	700082: {
		message: 'The sign-in has expired because it was not used for too long (AADSTS700082)',
		description: `${SIGN_IN_AGAIN} Refresh tokens expire after 90 days without use.`,
	},
	50173: {
		message: 'The sign-in was revoked (AADSTS50173: the grant was revoked, for example after a password change or a "revoke sessions" by an admin)',
		description: SIGN_IN_AGAIN,
	},
	700084: {
		message: 'The sign-in has expired (AADSTS700084)',
		description: SIGN_IN_AGAIN,
	},
	50076: {
		message: 'The customer tenant requires multifactor authentication again (AADSTS50076)',
		description: SIGN_IN_AGAIN,
	},
	50079: {
		message: 'The customer tenant requires the analyst to register for multifactor authentication (AADSTS50079)',
		description: SIGN_IN_AGAIN,
	},
	65001: {
		message: 'Consent missing (AADSTS65001): the app has no consented delegated permission on this API',
		description:
			'In the customer tenant open App registrations → your app → API permissions → Add a permission → the API ("WindowsDefenderATP" under "APIs my organization uses", or Microsoft Graph) → Delegated permissions, tick the permissions the workflow needs, and press "Grant admin consent". Then run again (no new sign-in is needed for admin consent).',
	},
	90094: {
		message: 'Admin consent is required (AADSTS90094)',
		description:
			'An administrator of the customer tenant must grant consent to the delegated permissions (App registrations → your app → API permissions → "Grant admin consent"), then sign in again.',
	},
	50011: {
		message: 'The redirect URI does not match the app registration (AADSTS50011)',
		description:
			'Copy the "OAuth Redirect URL" shown in this credential into the app registration → Authentication → Web → Redirect URIs (exactly, including http/https and path), save, and connect again.',
	},
	54005: {
		message: 'The authorization code was already used (AADSTS54005)',
		description: 'Press "Connect my account" again to sign in with a fresh code.',
	},
	7000215: AADSTS_EXPLANATIONS[7000215],
	7000222: AADSTS_EXPLANATIONS[7000222],
	700016: AADSTS_EXPLANATIONS[700016],
	90002: AADSTS_EXPLANATIONS[90002],
	500011: AADSTS_EXPLANATIONS[500011],
};

/** Needs a fresh interactive sign-in (as opposed to a permission or credential problem). */
export function needsSignInAgain(code: number | undefined, error?: string): boolean {
	if (code !== undefined && [70008, 700082, 50173, 700084, 50076, 50079, 54005].includes(code)) return true;
	return code === undefined && error === 'invalid_grant';
}

/** Explains a failed refresh-token redemption (or n8n's own refresh) for the user. */
export function explainDelegatedTokenError(status: number | undefined, body: unknown, family: ApiFamily, consent: ConsentContext = {}): Explanation {
	const code = aadstsCode(body);
	const rawError = (body as TokenErrorBody | undefined)?.error;
	const error = rawError === undefined ? undefined : redact(String(rawError));
	const api = RESOURCE_APPS[family];
	let known = code !== undefined ? DELEGATED_AADSTS_EXPLANATIONS[code] : undefined;
	if (code === 700016) known = { message: AADSTS_EXPLANATIONS[700016].message, description: consentFirst(consent) };
	if (known) return { message: `Could not get a delegated token for ${api}: ${known.message}`, description: known.description };
	if (needsSignInAgain(code, error)) {
		return { message: `Could not get a delegated token for ${api}: the sign-in is no longer valid (${error})`, description: SIGN_IN_AGAIN };
	}
	return {
		message: `Could not get a delegated token for ${api}${code ? ` (AADSTS${code})` : ''}${error ? `: ${error}` : ''}${status ? ` (HTTP ${status})` : ''}`,
		description: entraSummary(body) || 'Check the credential (tenant, client ID and secret, Cloud) and sign in again.',
	};
}

/**
 * A 403 on a delegated token: either the app lacks the delegated permission (not in the token's
 * `scp`) or the signed-in user's Defender role does not allow the action.
 */
export function explainDelegatedForbidden(
	family: ApiFamily,
	scp: string[],
	needed: string[],
	userPermission: string | undefined,
	user: string | undefined,
	apiMessage: string | undefined,
): Explanation {
	const api = API_NAMES[family];
	const who = user ? `The signed-in user (${user})` : 'The signed-in user';
	if (needed.length && !needed.some((n) => scp.includes(n))) {
		return {
			message: `Forbidden by the ${api}: the app has no delegated permission for this call (needs ${needed.join(' or ')} on ${RESOURCE_APPS[family]}; the token carries ${scp.length ? scp.join(', ') : 'no delegated permissions'})`,
			description: `Add ${needed[0]} as a Delegated permission on ${family === 'graph' ? 'Microsoft Graph' : `"${RESOURCE_APPS[family]}"`} in the customer tenant's app registration and press "Grant admin consent"; then sign in again (press "Reconnect" on the credential) so the token carries it.`,
		};
	}
	return {
		message: `Forbidden by the ${api}: ${who} is not allowed to do this in Defender${userPermission ? ` (needs the "${userPermission}" permission)` : ''}${apiMessage ? `: ${apiMessage}` : ''}`,
		description: `Delegated access is what the app's delegated permissions AND the user's Defender role both allow. Give the user a Defender role (Microsoft Defender portal → Permissions → Roles) that includes ${userPermission ? `"${userPermission}"` : 'this action'} and covers the device's device group, or sign in with another analyst.`,
	};
}

/* ------------------------------------------------------------------------------------------
 * Structured fields of transport errors (set in transport/errors.ts)
 * ---------------------------------------------------------------------------------------- */

/** What went wrong, for callers to branch on. */
export type TransportErrorKind =
	/** No access token could be obtained (nothing was sent). */
	| 'token'
	/** No (complete) answer: refused, reset, timed out, host not found. */
	| 'network'
	/** A redirect that was not followed. */
	| 'redirect'
	/** A 2xx answer whose body could not be read. */
	| 'malformed-response'
	| 'unauthorized'
	/** 403: the app or the user lacks a permission or role. */
	| 'forbidden-permission'
	/** 403 DisabledFeature: the tenant is not licensed for the feature. */
	| 'feature-disabled'
	| 'not-found'
	/** 400 ActiveRequestAlreadyExists: the same action is already pending on the machine. */
	| 'conflict-already-running'
	| 'throttled'
	| 'server'
	/** Any other 4xx. */
	| 'rejected';

export interface TransportErrorFields {
	kind: TransportErrorKind;
	/** HTTP status of Microsoft's answer (none for network and token failures). */
	status?: number;
	/** Microsoft's error code (`error.code` of the API, or the AADSTS number of a token failure). */
	code?: string;
	/** Socket error code of a network failure (ECONNRESET, ETIMEDOUT, ...). */
	networkCode?: string;
	/** False when the request cannot have reached Microsoft (no token, connection refused, host not found). */
	sent: boolean;
}

/** The property that holds the fields (not enumerable: n8n's error output is unchanged). */
export const TRANSPORT_FIELDS = 'transport';

/** The structured fields of an error raised by the transport (undefined for any other error). */
export function transportErrorOf(error: unknown): TransportErrorFields | undefined {
	if (typeof error !== 'object' || error === null) return undefined;
	return (error as { [TRANSPORT_FIELDS]?: TransportErrorFields })[TRANSPORT_FIELDS];
}

/**
 * Whether the error was raised before the request could reach the API (no token, connection
 * refused, host not found). A caller that verifies non-idempotent writes after an unknown outcome
 * skips the check for these: nothing can have been carried out.
 */
export function wasNotSent(error: unknown): boolean {
	return transportErrorOf(error)?.sent === false;
}

/**
 * The error to throw again after a catch that did not handle it: n8n errors stay themselves
 * (both constructors return their argument unchanged), anything else becomes a NodeApiError.
 */
export function passOn(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError) return new NodeOperationError(node, error);
	return new NodeApiError(node, error as JsonObject, { itemIndex });
}
