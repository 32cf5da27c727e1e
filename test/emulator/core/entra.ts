/**
 * Entra ID v2 token endpoint (client credentials only) plus the discovery documents MSAL reads.
 * Error texts paraphrase observed AADSTS messages; match on the numeric code, not on text.
 */
import * as crypto from 'node:crypto';
import type { ApiFamily } from '../types';
import type { CoreContext, CoreResponse, RequestLogEntry } from './context';
import type { FixtureApp, FixtureTenant } from './fixture';
import { rolesOf } from './fixture';
import { certThumbprints, decodeJwt, signJwt, verifyJwtSignature, type JwtAlg } from './jwt';
import { familyOfResource, isDataPlaneResource } from './resources';
import { handleAuthorize, handleDelegatedGrant, isAuthorizePath } from './delegated';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type EntraResult = CoreResponse & { log: Partial<RequestLogEntry> };

function entraTimestamp(ms: number): string {
	return new Date(ms)
		.toISOString()
		.replace('T', ' ')
		.replace(/\.\d+Z$/, 'Z');
}

/** The real Entra error body. */
export function aadError(
	ctx: CoreContext,
	origin: string,
	status: number,
	error: string,
	code: number,
	text: string,
	correlationId?: string,
): CoreResponse {
	const traceId = crypto.randomUUID();
	const corr = correlationId && GUID.test(correlationId) ? correlationId : crypto.randomUUID();
	const ts = entraTimestamp(ctx.clock.now());
	return {
		status,
		headers: {
			'cache-control': 'no-store, no-cache',
			pragma: 'no-cache',
			'x-ms-request-id': traceId,
		},
		body: {
			error,
			error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${corr}\r\nTimestamp: ${ts}`,
			error_codes: [code],
			timestamp: ts,
			trace_id: traceId,
			correlation_id: corr,
			error_uri: `${origin}/error?code=${code}`,
		},
	};
}

export function resolveTenant(
	ctx: CoreContext,
	segment: string,
): { tenant?: FixtureTenant; code?: 90002 | 900023 } {
	const s = segment.toLowerCase();
	if (GUID.test(s)) {
		const tenant =
			ctx.fixture.tenants[s] ?? Object.values(ctx.fixture.tenants).find((t) => t.id === s);
		return tenant ? { tenant } : { code: 90002 };
	}
	if (DOMAIN.test(s)) {
		const tenant = Object.values(ctx.fixture.tenants).find((t) => t.domain.toLowerCase() === s);
		return tenant ? { tenant } : { code: 90002 };
	}
	return { code: 900023 };
}

function parseForm(body: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of new URLSearchParams(body)) if (!(k in out)) out[k] = v;
	return out;
}

function basicAuth(header: string | undefined): { id: string; secret: string } | undefined {
	const m = /^Basic\s+(.+)$/i.exec(header ?? '');
	if (!m) return undefined;
	const decoded = Buffer.from(m[1], 'base64').toString('utf8');
	const i = decoded.indexOf(':');
	if (i < 0) return undefined;
	try {
		return {
			id: decodeURIComponent(decoded.slice(0, i)),
			secret: decodeURIComponent(decoded.slice(i + 1)),
		};
	} catch {
		return { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
	}
}

interface ScopeCheck {
	resource?: string;
	family?: ApiFamily;
	fail?: { code: number; error: string; text: string };
}

export function checkScope(scope: string, tenant: FixtureTenant): ScopeCheck {
	const items = scope.split(/\s+/).filter(Boolean);
	const resources = new Map<string, ApiFamily | undefined>();
	for (const item of items) {
		if (!item.toLowerCase().endsWith('/.default')) {
			// A permission name or a bare identifier instead of `<resource>/.default`.
			if (
				/^[a-z][a-z0-9+.-]*:\/\//i.test(item) ||
				GUID.test(item.split('/')[0]) ||
				/^[A-Za-z]+\.[A-Za-z.]+$/.test(item)
			) {
				return {
					fail: {
						code: 1002012,
						error: 'invalid_scope',
						text: `The provided value for scope ${item} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
					},
				};
			}
			return {
				fail: {
					code: 70011,
					error: 'invalid_scope',
					text: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
				},
			};
		}
		const resource = item.slice(0, -'/.default'.length);
		if (!resource) {
			return {
				fail: {
					code: 70011,
					error: 'invalid_scope',
					text: `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
				},
			};
		}
		resources.set(resource.toLowerCase().replace(/\/$/, ''), familyOfResource(resource));
	}
	if (resources.size > 1) {
		return {
			fail: {
				code: 700022,
				error: 'invalid_scope',
				text: `The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
			},
		};
	}
	const [[resourceKey, family]] = [...resources.entries()];
	const resource = items[0].slice(0, -'/.default'.length).replace(/\/$/, '');
	if (!family && isDataPlaneResource(resource)) return { resource };
	if (!family || (tenant.resources && !tenant.resources.includes(family))) {
		return {
			fail: {
				code: 500011,
				error: 'invalid_resource',
				text: `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
			},
		};
	}
	void resourceKey;
	return { resource, family };
}

/** Deterministic object id of the app's service principal in a tenant. */
function spObjectId(appId: string, tenantId: string): string {
	const h = crypto.createHash('sha256').update(`${appId}|${tenantId}`).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function issueAccessToken(
	ctx: CoreContext,
	tenant: FixtureTenant,
	app: FixtureApp,
	resource: string,
	family: ApiFamily | undefined,
	grant: 'secret' | 'assertion',
): { token: string; roles: string[]; exp: number } {
	const now = Math.floor(ctx.clock.now() / 1000);
	const exp = now + ctx.tokenLifetimeSec;
	// Data-plane tokens (Azure Storage) carry no app roles: access is RBAC on the resource.
	const roles = family ? rolesOf(app, tenant.id, family) : [];
	const oid = spObjectId(app.clientId, tenant.id);
	const payload: Record<string, unknown> = {
		aud: resource,
		iss: `https://sts.windows.net/${tenant.id}/`,
		iat: now,
		nbf: now,
		exp,
		aio: crypto.randomBytes(24).toString('base64url'),
		app_displayname: app.name,
		appid: app.clientId,
		appidacr: grant === 'secret' ? '1' : '2',
		azp: app.clientId,
		azpacr: grant === 'secret' ? '1' : '2',
		idp: `https://sts.windows.net/${tenant.id}/`,
		idtyp: 'app',
		oid,
		rh: crypto.randomBytes(12).toString('base64url'),
		sub: oid,
		tid: tenant.id,
		uti: crypto.randomBytes(16).toString('base64url'),
		ver: '1.0',
	};
	// Entra omits the claim entirely when no role was granted.
	if (roles.length) payload.roles = [...roles];
	const token = signJwt(
		{ typ: 'JWT', x5t: ctx.signing.kid, kid: ctx.signing.kid },
		payload,
		ctx.signing.privateKey,
		'RS256',
	);
	return { token, roles, exp };
}

export interface EntraRequest {
	method: string;
	/** Path segments after the leading slash, e.g. ['contoso.onmicrosoft.com','oauth2','v2.0','token']. */
	segments: string[];
	headers: Record<string, string>;
	body: string;
	origin: string;
	/** Query string (the /authorize endpoint reads it). */
	query?: Record<string, string>;
}

/** Returns undefined when the path is not an Entra path. */
export function isEntraPath(segments: string[]): boolean {
	const s = segments.map((x) => x.toLowerCase());
	if (s.length === 4 && s[1] === 'oauth2' && s[2] === 'v2.0' && s[3] === 'token') return true;
	if (isAuthorizePath(segments)) return true;
	if (s.length === 3 && s[1] === 'oauth2' && s[2] === 'token') return true;
	if (
		s.length === 4 &&
		s[1] === 'v2.0' &&
		s[2] === '.well-known' &&
		s[3] === 'openid-configuration'
	)
		return true;
	if (s.length === 3 && s[1] === 'discovery' && s[2] === 'instance') return true;
	if (s.length === 3 && s[1] === 'discovery' && s[2] === 'keys') return true;
	if (s.length === 4 && s[1] === 'discovery' && s[2] === 'v2.0' && s[3] === 'keys') return true;
	return false;
}

export function handleEntra(ctx: CoreContext, req: EntraRequest): EntraResult {
	const s = req.segments.map((x) => x.toLowerCase());
	const tenantSeg = req.segments[0];
	const corr = req.headers['client-request-id'];
	const fail = (
		status: number,
		error: string,
		code: number,
		text: string,
		log: Partial<RequestLogEntry> = {},
	) => ({
		...aadError(ctx, req.origin, status, error, code, text, corr),
		log: { ...log, aadsts: code },
	});

	// Discovery documents (what MSAL fetches before the token request).
	if (s[1] === 'discovery' && s[2] === 'instance') {
		const host = new URL(req.origin).host;
		return {
			status: 200,
			body: {
				tenant_discovery_endpoint: `${req.origin}/${tenantSeg}/v2.0/.well-known/openid-configuration`,
				'api-version': '1.1',
				metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
			},
			log: {},
		};
	}
	if (s[1] === 'discovery' && s[s.length - 1] === 'keys') {
		const jwk = ctx.signing.publicKey.export({ format: 'jwk' });
		return {
			status: 200,
			body: {
				keys: [
					{
						kty: 'RSA',
						use: 'sig',
						kid: ctx.signing.kid,
						x5t: ctx.signing.kid,
						n: jwk.n,
						e: jwk.e,
					},
				],
			},
			log: {},
		};
	}

	const { tenant, code } = resolveTenant(ctx, tenantSeg);
	if (!tenant) {
		return code === 900023
			? fail(
					400,
					'invalid_request',
					900023,
					`Specified tenant identifier '${tenantSeg}' is neither a valid DNS name, nor a valid external domain.`,
				)
			: fail(
					400,
					'invalid_request',
					90002,
					`Tenant '${tenantSeg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
				);
	}

	if (s[1] === 'v2.0') {
		const base = `${req.origin}/${tenant.id}`;
		return {
			status: 200,
			body: {
				token_endpoint: `${base}/oauth2/v2.0/token`,
				token_endpoint_auth_methods_supported: [
					'client_secret_post',
					'private_key_jwt',
					'client_secret_basic',
				],
				jwks_uri: `${req.origin}/${tenant.id}/discovery/v2.0/keys`,
				response_modes_supported: ['query', 'fragment', 'form_post'],
				subject_types_supported: ['pairwise'],
				id_token_signing_alg_values_supported: ['RS256'],
				response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
				scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
				issuer: `${req.origin}/${tenant.id}/v2.0`,
				request_uri_parameter_supported: false,
				userinfo_endpoint: `${req.origin}/oidc/userinfo`,
				authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
				device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
				http_logout_supported: true,
				frontchannel_logout_supported: true,
				end_session_endpoint: `${base}/oauth2/v2.0/logout`,
				claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'ver'],
				tenant_region_scope: 'EU',
				cloud_instance_name: 'emulator.local',
				cloud_graph_host_name: 'graph.windows.net',
				msgraph_host: 'graph.microsoft.com',
			},
			log: { tenantId: tenant.id },
		};
	}

	if (isAuthorizePath(req.segments)) return handleAuthorize(ctx, tenant, req.method, req.query ?? {}, req.body);

	if (s[2] === 'token' && s.length === 3) {
		return fail(
			400,
			'invalid_request',
			900144,
			`The v1 token endpoint is not emulated; use /${tenantSeg}/oauth2/v2.0/token.`,
			{ tenantId: tenant.id },
		);
	}
	if (req.method !== 'POST') {
		return fail(
			400,
			'invalid_request',
			900561,
			'The endpoint only accepts POST requests. Received a GET request.',
			{ tenantId: tenant.id },
		);
	}

	const form = parseForm(req.body);
	const basic = basicAuth(req.headers.authorization);
	const clientId = (form.client_id ?? basic?.id ?? '').trim();
	const log: Partial<RequestLogEntry> = { tenantId: tenant.id, scope: form.scope };
	const delegatedGrant = form.grant_type === 'authorization_code' || form.grant_type === 'refresh_token';
	if (form.grant_type !== 'client_credentials' && !delegatedGrant) {
		if (!form.grant_type)
			return fail(
				400,
				'invalid_request',
				900144,
				"The request body must contain the following parameter: 'grant_type'.",
				log,
			);
		return fail(
			400,
			'unsupported_grant_type',
			70003,
			`The app requested an unsupported grant type '${form.grant_type}'.`,
			log,
		);
	}
	if (!clientId)
		return fail(
			400,
			'invalid_request',
			900144,
			"The request body must contain the following parameter: 'client_id'.",
			log,
		);
	log.appId = clientId;
	if (!form.scope && !delegatedGrant)
		return fail(
			400,
			'invalid_request',
			900144,
			"The request body must contain the following parameter: 'scope'.",
			log,
		);

	const app = Object.values(ctx.fixture.apps).find(
		(a) => a.clientId.toLowerCase() === clientId.toLowerCase(),
	);
	if (!app || !app.tenants.includes(tenant.id)) {
		return fail(
			400,
			'unauthorized_client',
			700016,
			`Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
			log,
		);
	}

	// Client authentication.
	const secret = form.client_secret ?? basic?.secret;
	let grant: 'secret' | 'assertion';
	if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
		grant = 'assertion';
		log.grant = 'assertion';
		const err = checkAssertion(ctx, req, tenantSeg, tenant, app, form);
		if (err) return fail(err.status, err.error, err.code, err.text, log);
	} else if (secret !== undefined && secret !== '') {
		grant = 'secret';
		log.grant = 'secret';
		if (!app.secret || secret !== app.secret) {
			return fail(
				401,
				'invalid_client',
				7000215,
				`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
				log,
			);
		}
		if (app.secretExpiresAt && Date.parse(app.secretExpiresAt) <= ctx.clock.now()) {
			return fail(
				401,
				'invalid_client',
				7000222,
				`The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
				log,
			);
		}
	} else {
		log.grant = 'none';
		return fail(
			401,
			'invalid_client',
			7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
			log,
		);
	}

	if (delegatedGrant) return handleDelegatedGrant(ctx, tenant, app, form, fail, log);

	const sc = checkScope(form.scope, tenant);
	if (sc.fail) return fail(400, sc.fail.error, sc.fail.code, sc.fail.text, log);
	log.audience = sc.resource;
	const issued = issueAccessToken(ctx, tenant, app, sc.resource!, sc.family, grant);
	log.roles = issued.roles;
	return {
		status: 200,
		headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
		body: {
			token_type: 'Bearer',
			expires_in: ctx.tokenLifetimeSec,
			ext_expires_in: ctx.tokenLifetimeSec,
			access_token: issued.token,
		},
		log,
	};
}

interface AssertionFailure {
	status: number;
	error: string;
	code: number;
	text: string;
}

const CERT_DOC =
	'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .';

function checkAssertion(
	ctx: CoreContext,
	req: EntraRequest,
	tenantSeg: string,
	tenant: FixtureTenant,
	app: FixtureApp,
	form: Record<string, string>,
): AssertionFailure | undefined {
	const bad = (code: number, text: string, status = 401, error = 'invalid_client') => ({
		status,
		error,
		code,
		text,
	});
	if (form.client_assertion_type !== JWT_BEARER) {
		return bad(
			900144,
			`The request body must contain the following parameter: 'client_assertion_type' with the value '${JWT_BEARER}'.`,
			400,
			'invalid_request',
		);
	}
	if (!form.client_assertion) {
		return bad(
			7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
		);
	}
	const jwt = decodeJwt(form.client_assertion);
	if (!jwt) return bad(50027, 'JWT token is invalid or malformed. [inf]', 400, 'invalid_request');
	const alg = jwt.header.alg as string;
	if (alg !== 'RS256' && alg !== 'PS256') {
		return bad(
			5002738,
			`Invalid JWT token. '${String(alg)}' is not a supported signature algorithm. Supported signing algorithms are: 'RS256,RS384,RS512,PS256'.`,
		);
	}
	const x5tS256 =
		typeof jwt.header['x5t#S256'] === 'string' ? (jwt.header['x5t#S256'] as string) : undefined;
	const x5t = typeof jwt.header.x5t === 'string' ? (jwt.header.x5t as string) : undefined;
	const presented = x5tS256 ?? x5t ?? jwt.header.kid ?? '(none)';
	let match = false;
	if (app.certPem) {
		const tp = certThumbprints(app.certPem);
		match = x5tS256 !== undefined ? x5tS256 === tp.x5tS256 : x5t !== undefined && x5t === tp.x5t;
	}
	if (!match || !app.certPem) {
		return bad(
			700027,
			`The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'. ${CERT_DOC}]`,
		);
	}
	const publicKey = crypto.createPublicKey(app.certPem);
	if (!verifyJwtSignature(jwt, publicKey, alg as JwtAlg)) {
		return bad(
			700027,
			`Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${presented}', Found key 'Start=..., End=...'] ${CERT_DOC}`,
		);
	}
	const p = jwt.payload;
	if (p.iss !== app.clientId || p.sub !== app.clientId) {
		return bad(
			700021,
			`Client assertion application identifier doesn't match 'client_id' parameter. ${CERT_DOC}`,
		);
	}
	// aud must be this token endpoint as the client reached it (any of our origins; GUID or domain form).
	const tenantForms = new Set([
		tenantSeg.toLowerCase(),
		tenant.id.toLowerCase(),
		tenant.domain.toLowerCase(),
	]);
	const audOk = (Array.isArray(p.aud) ? p.aud : [p.aud]).some((aud: unknown) => {
		if (typeof aud !== 'string') return false;
		let u: URL;
		try {
			u = new URL(aud);
		} catch {
			return false;
		}
		const origins = new Set([req.origin, ...ctx.origins()]);
		const segs = u.pathname.split('/').filter(Boolean);
		return (
			origins.has(u.origin) &&
			segs.length === 4 &&
			tenantForms.has(segs[0].toLowerCase()) &&
			segs.slice(1).join('/').toLowerCase() === 'oauth2/v2.0/token'
		);
	});
	if (!audOk) {
		return bad(
			700023,
			`Client assertion audience claim does not match Realm issuer. The audience must be the token endpoint '${req.origin}/${tenantSeg}/oauth2/v2.0/token'. [inf: code] ${CERT_DOC}`,
		);
	}
	const now = ctx.clock.now() / 1000;
	const skew = ctx.assertionSkewSec;
	const nbf = typeof p.nbf === 'number' ? p.nbf : typeof p.iat === 'number' ? p.iat : undefined;
	const exp = typeof p.exp === 'number' ? p.exp : undefined;
	const iso = (sec: number | undefined) =>
		sec === undefined ? 'none' : new Date(sec * 1000).toISOString();
	if (exp === undefined || now > exp + skew || (nbf !== undefined && now < nbf - skew)) {
		return bad(
			700024,
			`Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${iso(nbf)}, expiry time of assertion ${iso(exp)}. ${CERT_DOC}`,
		);
	}
	if (ctx.rejectReplayedJti && typeof p.jti === 'string') {
		for (const [k, until] of ctx.usedJti) if (until < now - skew) ctx.usedJti.delete(k);
		const key = `${app.clientId}|${p.jti}`;
		if (ctx.usedJti.has(key)) {
			return bad(
				700024,
				`Client assertion is not within its valid time range: the assertion with identifier (jti) '${p.jti}' was already used. [inf: replay reported as 700024] ${CERT_DOC}`,
			);
		}
		ctx.usedJti.set(key, exp);
	}
	return undefined;
}
