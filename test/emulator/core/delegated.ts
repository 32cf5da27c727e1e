/**
 * Delegated (user) sign-in: the v2 /authorize endpoint with a sign-in + consent page a test can
 * drive over plain HTTP, the authorization_code and refresh_token grants, and the API-side check
 * that a delegated token may do only what its `scp` AND the user's Defender role allow.
 *
 * What we believe (Learn: "Microsoft identity platform and OAuth 2.0 authorization code flow",
 * "Refresh tokens in the Microsoft identity platform", "Redirect URI (reply URL) outline and
 * restrictions"): codes are single-use and short-lived; every redemption returns a new refresh
 * token and does NOT revoke the old one; refresh tokens are not tied to a resource; the port of an
 * http://localhost or 127.0.0.1 redirect URI is ignored. Error texts paraphrase AADSTS messages.
 *
 * Test-only conveniences (not Microsoft): GET /authorize with `login_hint=<upn>` and
 * `emulator_consent=accept|deny` answers at once; `/_control/delegated/revoke {user}` revokes a
 * user's refresh tokens (like an admin's "Revoke sessions").
 */
import * as crypto from 'node:crypto';
import type { ApiFamily } from '../types';
import type { CoreContext, CoreResponse, RequestLogEntry } from './context';
import type { FixtureApp, FixtureTenant, FixtureUser } from './fixture';
import { signJwt } from './jwt';
import { familyOfResource } from './resources';

const CODE_LIFETIME_SEC = 600;
/** Refresh tokens expire after 90 days without use (Learn: "Refresh tokens ..."). */
export const REFRESH_MAX_INACTIVE_SEC = 90 * 24 * 3600;
const OIDC = new Set(['openid', 'profile', 'email', 'offline_access']);

interface CodeGrant {
	clientId: string;
	tenantId: string;
	userOid: string;
	redirectUri: string;
	scope: string;
	issuedAt: number;
	used: boolean;
}

interface RefreshGrant {
	clientId: string;
	tenantId: string;
	userOid: string;
	/** Scope of the original sign-in (used when a redemption names none). */
	scope: string;
	issuedAt: number;
	revoked: boolean;
}

interface DelegatedState {
	codes: Map<string, CodeGrant>;
	refresh: Map<string, RefreshGrant>;
	/** `${tenant}|${client}|${user}|${family}` → delegated permissions the user consented to. */
	userConsent: Map<string, Set<string>>;
	redemptions: number;
}

const states = new WeakMap<CoreContext, DelegatedState>();

export function delegatedState(ctx: CoreContext): DelegatedState {
	let s = states.get(ctx);
	if (!s) {
		s = { codes: new Map(), refresh: new Map(), userConsent: new Map(), redemptions: 0 };
		states.set(ctx, s);
	}
	return s;
}

/** Forgets codes, refresh tokens and user consents (`/_control/reset`). */
export function resetDelegated(ctx: CoreContext): void {
	states.delete(ctx);
}

/** Revokes every refresh token of a user (upn or object id); returns how many. */
export function revokeUser(ctx: CoreContext, user: string): number {
	const u = findUser(ctx, user);
	let n = 0;
	for (const g of delegatedState(ctx).refresh.values()) {
		if (u && g.userOid === u.oid && !g.revoked) {
			g.revoked = true;
			n++;
		}
	}
	return n;
}

function findUser(ctx: CoreContext, user: string): FixtureUser | undefined {
	const k = user.toLowerCase();
	return Object.values(ctx.fixture.users ?? {}).find((u) => u.upn.toLowerCase() === k || u.oid === k);
}

/** Delegated permission names the app registration has admin consent for, on `family`. */
function consented(ctx: CoreContext, app: FixtureApp, tenant: string, user: string, family: ApiFamily): Set<string> {
	const own = delegatedState(ctx).userConsent.get(`${tenant}|${app.clientId}|${user}|${family}`) ?? new Set();
	return new Set([...(app.delegated?.[family] ?? []), ...own]);
}

interface ParsedScope {
	resource?: string;
	family?: ApiFamily;
	/** Permission names (without the resource); '.default' for /.default. */
	names: string[];
	offline: boolean;
	multi: boolean;
}

function parseScope(scope: string): ParsedScope {
	const out: ParsedScope = { names: [], offline: false, multi: false };
	for (const item of scope.split(/\s+/).filter(Boolean)) {
		if (OIDC.has(item.toLowerCase())) {
			if (item.toLowerCase() === 'offline_access') out.offline = true;
			continue;
		}
		const i = item.lastIndexOf('/');
		const resource = i > 0 ? item.slice(0, i) : 'https://graph.microsoft.com';
		const name = i > 0 ? item.slice(i + 1) : item;
		if (out.resource && out.resource.toLowerCase() !== resource.toLowerCase()) out.multi = true;
		out.resource ??= resource;
		out.family ??= familyOfResource(resource);
		out.names.push(name);
	}
	return out;
}

function loopbackMatch(registered: string, given: string): boolean {
	let a: URL;
	let b: URL;
	try {
		a = new URL(registered);
		b = new URL(given);
	} catch {
		return false;
	}
	const loop = (u: URL) => u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
	// Learn: for loopback http redirect URIs the port is ignored.
	if (loop(a) && loop(b)) return a.hostname === b.hostname && a.pathname === b.pathname;
	return registered === given;
}

function redirectAllowed(app: FixtureApp, uri: string): boolean {
	return (app.redirectUris ?? []).some((r) => loopbackMatch(r, uri));
}

function html(status: number, title: string, body: string): CoreResponse {
	return {
		status,
		contentType: 'text/html; charset=utf-8',
		raw: `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`,
	};
}

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function redirect(uri: string, params: Record<string, string | undefined>): CoreResponse {
	const u = new URL(uri);
	for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
	return { status: 302, headers: { location: u.toString(), 'cache-control': 'no-store' } };
}

/**
 * GET shows the sign-in + consent form; POST (the form) or GET with `login_hint` and
 * `emulator_consent` completes it and redirects to the app with a code (or an error).
 */
export function handleAuthorize(
	ctx: CoreContext,
	tenant: FixtureTenant,
	method: string,
	query: Record<string, string>,
	formBody: string,
): CoreResponse & { log: Partial<RequestLogEntry> } {
	const p: Record<string, string> = { ...query };
	if (method === 'POST') for (const [k, v] of new URLSearchParams(formBody)) p[k] = v;
	const log: Partial<RequestLogEntry> = { tenantId: tenant.id, appId: p.client_id, scope: p.scope, grant: 'none' };
	const app = Object.values(ctx.fixture.apps).find((a) => a.clientId.toLowerCase() === String(p.client_id ?? '').toLowerCase());
	if (!app || !app.tenants.includes(tenant.id)) {
		return { ...html(400, 'Sign in', `<p>AADSTS700016: Application with identifier '${esc(String(p.client_id ?? ''))}' was not found in the directory '${esc(tenant.displayName)}'.</p>`), log: { ...log, aadsts: 700016 } };
	}
	// An unregistered redirect URI is never redirected to: the error is shown on the page.
	if (!p.redirect_uri || !redirectAllowed(app, p.redirect_uri)) {
		return {
			...html(400, 'Sign in', `<p>AADSTS50011: The redirect URI '${esc(String(p.redirect_uri ?? ''))}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.</p>`),
			log: { ...log, aadsts: 50011 },
		};
	}
	const back = (params: Record<string, string | undefined>) => ({
		...redirect(p.redirect_uri, { ...params, state: p.state }),
		log,
	});
	if (p.response_type !== 'code') {
		return back({ error: 'unsupported_response_type', error_description: 'AADSTS700054: response_type must be code for this emulator.' });
	}
	const scope = parseScope(String(p.scope ?? ''));
	if (!scope.family || scope.multi) {
		return back({ error: 'invalid_scope', error_description: `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope ${p.scope ?? ''} is not valid.` });
	}
	const users = Object.values(ctx.fixture.users ?? {}).filter((u) => u.tenantId === tenant.id);
	const decision = p.emulator_consent ?? p.consent;
	const who = p.login_hint ?? p.user;
	if (!decision || !who) {
		const hidden = Object.entries(p)
			.filter(([k]) => !['user', 'consent', 'login_hint', 'emulator_consent'].includes(k))
			.map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
			.join('');
		const options = users.map((u) => `<option value="${esc(u.upn)}">${esc(u.upn)}</option>`).join('');
		return {
			...html(
				200,
				'Sign in and consent',
				`<form method="post">${hidden}<label>Account <select name="user">${options}</select></label><p>${esc(app.name)} asks for: ${esc(String(p.scope ?? ''))}</p><button name="consent" value="accept">Accept</button><button name="consent" value="deny">Cancel</button></form>`,
			),
			log,
		};
	}
	const user = findUser(ctx, who);
	if (!user || user.tenantId !== tenant.id) {
		return back({ error: 'access_denied', error_description: `AADSTS50034: The user account ${who} does not exist in the ${tenant.domain} directory.` });
	}
	if (decision !== 'accept') {
		return back({ error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.' });
	}
	// Consent: specific permissions are consented by the user; /.default needs the admin's.
	const specific = scope.names.filter((n) => n !== '.default');
	if (specific.length) {
		const key = `${tenant.id}|${app.clientId}|${user.oid}|${scope.family}`;
		const set = delegatedState(ctx).userConsent.get(key) ?? new Set<string>();
		for (const n of specific) set.add(n);
		delegatedState(ctx).userConsent.set(key, set);
	} else if (!consented(ctx, app, tenant.id, user.oid, scope.family).size) {
		return back({
			error: 'invalid_client',
			error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.name}'. Send an interactive authorization request for this user and resource.`,
		});
	}
	const code = crypto.randomBytes(32).toString('base64url');
	delegatedState(ctx).codes.set(code, {
		clientId: app.clientId,
		tenantId: tenant.id,
		userOid: user.oid,
		redirectUri: p.redirect_uri,
		scope: String(p.scope ?? ''),
		issuedAt: ctx.clock.now(),
		used: false,
	});
	return { ...back({ code, session_state: crypto.randomUUID() }), log: { ...log, grant: 'none' } };
}

type Fail = (status: number, error: string, code: number, text: string, log?: Partial<RequestLogEntry>) => CoreResponse & { log: Partial<RequestLogEntry> };

const SIGN_IN_AGAIN_TEXT = 'a fresh auth token is needed';

/** The authorization_code and refresh_token grants (client authenticated by the caller). */
export function handleDelegatedGrant(
	ctx: CoreContext,
	tenant: FixtureTenant,
	app: FixtureApp,
	form: Record<string, string>,
	fail: Fail,
	log: Partial<RequestLogEntry>,
): CoreResponse & { log: Partial<RequestLogEntry> } {
	const st = delegatedState(ctx);
	const now = ctx.clock.now();
	let userOid: string;
	let scopeText: string;
	if (form.grant_type === 'authorization_code') {
		const grant = form.code ? st.codes.get(form.code) : undefined;
		if (!grant || grant.clientId !== app.clientId || grant.tenantId !== tenant.id) {
			return fail(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.', log);
		}
		if (grant.used) {
			return fail(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.', log);
		}
		if (now - grant.issuedAt > CODE_LIFETIME_SEC * 1000) {
			return fail(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.', log);
		}
		if (form.redirect_uri !== grant.redirectUri) {
			return fail(400, 'invalid_grant', 50011, `The redirect URI '${form.redirect_uri ?? ''}' specified in the request does not match the redirect URI used to obtain the authorization code.`, log);
		}
		grant.used = true;
		userOid = grant.userOid;
		scopeText = form.scope || grant.scope;
	} else {
		const grant = form.refresh_token ? st.refresh.get(form.refresh_token) : undefined;
		if (!grant || grant.clientId !== app.clientId || grant.tenantId !== tenant.id) {
			return fail(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.', log);
		}
		if (grant.revoked) {
			return fail(400, 'invalid_grant', 50173, `The provided grant has expired due to it being revoked, ${SIGN_IN_AGAIN_TEXT}. The user might have changed or reset their password.`, log);
		}
		if (now - grant.issuedAt > REFRESH_MAX_INACTIVE_SEC * 1000) {
			return fail(400, 'invalid_grant', 700082, `The refresh token has expired due to inactivity. The token was issued on ${new Date(grant.issuedAt).toISOString()} and was inactive for 90.00:00:00.`, log);
		}
		userOid = grant.userOid;
		scopeText = form.scope || grant.scope;
	}
	st.redemptions++;
	const scope = parseScope(scopeText);
	if (scope.multi) {
		return fail(400, 'invalid_scope', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopeText} is not valid.`, log);
	}
	if (!scope.family || !scope.resource || (tenant.resources && !tenant.resources.includes(scope.family))) {
		return fail(400, 'invalid_resource', 500011, `The resource principal named ${scope.resource ?? scopeText} was not found in the tenant named ${tenant.displayName}.`, log);
	}
	const allowed = consented(ctx, app, tenant.id, userOid, scope.family);
	const wanted = scope.names.includes('.default') ? [...allowed] : scope.names;
	if (!wanted.length || wanted.some((n) => !allowed.has(n))) {
		return fail(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.name}'. Send an interactive authorization request for this user and resource.`, log);
	}
	const user = Object.values(ctx.fixture.users ?? {}).find((u) => u.oid === userOid)!;
	const original = form.grant_type === 'authorization_code' ? scopeText : st.refresh.get(form.refresh_token)!.scope;
	const nowSec = Math.floor(now / 1000);
	const exp = nowSec + ctx.tokenLifetimeSec;
	const token = signJwt(
		{ typ: 'JWT', x5t: ctx.signing.kid, kid: ctx.signing.kid },
		{
			aud: scope.resource,
			iss: `https://sts.windows.net/${tenant.id}/`,
			iat: nowSec,
			nbf: nowSec,
			exp,
			amr: ['pwd', 'mfa'],
			app_displayname: app.name,
			appid: app.clientId,
			appidacr: '1',
			name: user.displayName,
			oid: user.oid,
			scp: wanted.join(' '),
			sub: crypto.createHash('sha256').update(`${user.oid}|${app.clientId}`).digest('base64url').slice(0, 43),
			tid: tenant.id,
			unique_name: user.upn,
			upn: user.upn,
			uti: crypto.randomBytes(16).toString('base64url'),
			ver: '1.0',
		},
		ctx.signing.privateKey,
		'RS256',
	);
	const body: Record<string, unknown> = {
		token_type: 'Bearer',
		scope: wanted.map((n) => `${scope.resource}/${n}`).join(' '),
		expires_in: ctx.tokenLifetimeSec,
		ext_expires_in: ctx.tokenLifetimeSec,
		access_token: token,
	};
	if (parseScope(original).offline || scope.offline) {
		// Rotation: a new refresh token on every redemption; the old one is not revoked.
		const rt = `emu-rt.${crypto.randomBytes(48).toString('base64url')}`;
		st.refresh.set(rt, { clientId: app.clientId, tenantId: tenant.id, userOid, scope: original, issuedAt: now, revoked: false });
		body.refresh_token = rt;
	}
	return {
		status: 200,
		headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
		body,
		log: { ...log, audience: scope.resource, roles: wanted },
	};
}

/* ------------------------------------------------------------------------------------------
 * API side: what a delegated token may do.
 * ---------------------------------------------------------------------------------------- */

/** Delegated permission names that stand for an application role (MDE/XDR drop `.All`). */
export function delegatedNamesFor(family: ApiFamily, role: string): string[] {
	// Learn "Get machine logon users API": the delegated permission keeps its `.All`.
	return family === 'graph' || role === 'User.Read.All' ? [role] : [role.replace(/\.All$/, '')];
}

const REMEDIATION = ['Machine.Isolate', 'Machine.Scan', 'Machine.RestrictExecution', 'Machine.StopAndQuarantine', 'Machine.Offboard', 'Machine.LiveResponse'];

/** The Defender role permission a user needs for a route, from the route's application roles. */
export function userPermissionForRoute(method: string, roles: string[]): string {
	if (roles.some((r) => REMEDIATION.includes(r))) return 'Active remediation actions';
	if (method === 'GET') return 'View data';
	if (roles.some((r) => r === 'Machine.CollectForensics' || /ReadWrite/.test(r))) {
		return roles.some((r) => r.startsWith('Ti.') || r === 'Machine.ReadWrite.All') && !roles.some((r) => /Alert|Incident/.test(r))
			? 'Manage security settings'
			: 'Alerts investigation';
	}
	return 'View data';
}

/**
 * Checks a delegated token against a route: the token's `scp` must hold one of the route's
 * permissions, and the user's Defender role must include the needed permission. Returns the
 * 403 message, or undefined when allowed.
 */
export function delegatedRefusal(
	ctx: CoreContext,
	family: ApiFamily,
	method: string,
	requiredRoles: string[],
	scp: string[],
	userOid: string | undefined,
): string | undefined {
	if (requiredRoles.length) {
		const needed = requiredRoles.flatMap((r) => delegatedNamesFor(family, r));
		if (!needed.some((n) => scp.includes(n))) {
			return `Missing delegated permissions. API required scopes: ${[...new Set(needed)].join(',')}, token scopes: ${scp.join(',')}.`;
		}
	}
	const user = Object.values(ctx.fixture.users ?? {}).find((u) => u.oid === userOid);
	const need = userPermissionForRoute(method, requiredRoles);
	if (!user || !user.defenderPermissions.includes(need)) {
		return `The user does not have the required role permission: ${need}.`;
	}
	return undefined;
}

export function isAuthorizePath(segments: string[]): boolean {
	const s = segments.map((x) => x.toLowerCase());
	return s.length === 4 && s[1] === 'oauth2' && s[2] === 'v2.0' && s[3] === 'authorize';
}
