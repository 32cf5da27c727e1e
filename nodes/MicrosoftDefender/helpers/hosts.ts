/**
 * The one table of hosts per cloud. The credential, the transport, the README and the tests
 * all read it; nothing else in the package names a Microsoft host.
 */

export type CloudName = 'global' | 'usGcc' | 'usGccHigh' | 'usDod';

/**
 * The two APIs the package calls; each needs its own token audience. (The Defender XDR API is not
 * used: Graph security serves incidents, alerts and hunting, and the XDR hunting API is being
 * retired under MC1220762.)
 */
export type ApiFamily = 'mde' | 'graph';

export interface ApiEndpoint {
	/** Base URL the request paths are appended to (no trailing slash). */
	baseUrl: string;
	/** Client-credentials scope: `<resource identifier>/.default`. */
	scope: string;
	/**
	 * Whether Microsoft documents this scope. Where it does not, the credential shows the API's
	 * Scope Override (see scopeOverrideClouds).
	 */
	scopeDocumented: boolean;
	/** The Entra resource application the permission is granted on. */
	resourceApp: string;
}

export interface CloudHosts {
	displayName: string;
	/** Entra authority (token host), no trailing slash. */
	authority: string;
	api: Record<ApiFamily, ApiEndpoint>;
	portal: string;
}

export const RESOURCE_APPS: Record<ApiFamily, string> = {
	mde: 'WindowsDefenderATP',
	graph: 'Microsoft Graph',
};

/** Microsoft Graph on one cloud: its token scope is `<host>/.default` (documented for every cloud). */
function graphAt(baseUrl: string): ApiEndpoint {
	return { baseUrl, scope: `${baseUrl}/.default`, scopeDocumented: true, resourceApp: RESOURCE_APPS.graph };
}

/** The Defender for Endpoint API of US GCC High and US DoD (one host for both). */
const MDE_US_GOV: ApiEndpoint = {
	baseUrl: 'https://api-gov.securitycenter.microsoft.us',
	scope: 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
	scopeDocumented: false,
	resourceApp: RESOURCE_APPS.mde,
};

export const CLOUDS: Record<CloudName, CloudHosts> = {
	global: {
		displayName: 'Global (Commercial)',
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: {
				baseUrl: 'https://api.security.microsoft.com',
				scope: 'https://api.securitycenter.microsoft.com/.default',
				scopeDocumented: true,
				resourceApp: RESOURCE_APPS.mde,
			},
			graph: graphAt('https://graph.microsoft.com'),
		},
		portal: 'https://security.microsoft.com',
	},
	// GCC uses the commercial login and Graph, but the .us Defender hosts.
	usGcc: {
		displayName: 'US GCC',
		authority: 'https://login.microsoftonline.com',
		api: {
			mde: {
				baseUrl: 'https://api-gcc.securitycenter.microsoft.us',
				scope: 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
				scopeDocumented: false,
				resourceApp: RESOURCE_APPS.mde,
			},
			graph: graphAt('https://graph.microsoft.com'),
		},
		portal: 'https://security.microsoft.com',
	},
	usGccHigh: {
		displayName: 'US GCC High',
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: MDE_US_GOV,
			graph: graphAt('https://graph.microsoft.us'),
		},
		portal: 'https://security.microsoft.us',
	},
	usDod: {
		displayName: 'US DoD',
		authority: 'https://login.microsoftonline.us',
		api: {
			mde: MDE_US_GOV,
			graph: graphAt('https://dod-graph.microsoft.us'),
		},
		portal: 'https://security.apps.mil',
	},
};

/* ------------------------------------------------------------------------------------------
 * Resolution from the credential (Cloud field, custom endpoints, scope overrides).
 * ---------------------------------------------------------------------------------------- */

/** The credential's Cloud field: one of the table's clouds, or custom endpoints (emulator, proxies). */
export type CloudChoice = CloudName | 'custom';

export const API_FAMILIES: ApiFamily[] = ['mde', 'graph'];

/** Credential fields that hold the custom base URL of each family. */
export const CUSTOM_BASE_URL_FIELDS: Record<ApiFamily, string> = {
	mde: 'customMdeBaseUrl',
	graph: 'customGraphBaseUrl',
};

/** Credential fields that override the token scope of each family. */
export const SCOPE_OVERRIDE_FIELDS: Record<ApiFamily, string> = {
	mde: 'mdeScope',
	graph: 'graphScope',
};

/**
 * The clouds where the credential shows the Scope Override of `family`: those whose scope Microsoft
 * does not document, and Custom Endpoints (an emulator or a proxy may need any scope). Elsewhere the
 * field is hidden, and n8n drops a hidden field's value, so resolveEndpoints ignores it there too.
 */
export function scopeOverrideClouds(family: ApiFamily): CloudChoice[] {
	return [...(Object.keys(CLOUDS) as CloudName[]).filter((c) => !CLOUDS[c].api[family].scopeDocumented), 'custom'];
}

/** The cloud names as the Cloud dropdown shows them: "A, B, C or D". */
export function cloudNameList(): string {
	const names = (Object.keys(CLOUDS) as CloudName[]).map((c) => CLOUDS[c].displayName);
	return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

export interface ResolvedEndpoints {
	cloud: CloudChoice;
	/** Token host, no trailing slash. */
	authority: string;
	api: Record<ApiFamily, { baseUrl: string; scope: string; resourceApp: string }>;
}

/** The subset of credential data the host resolution reads. */
export interface CloudCredentialFields {
	cloud?: unknown;
	customLoginUrl?: unknown;
	[key: string]: unknown;
}

export class HostConfigurationError extends Error {}

function trimSlash(u: string): string {
	return u.replace(/\/+$/, '');
}

/** Accepts `http(s)://host[:port][/path]`; throws HostConfigurationError otherwise. */
export function validateBaseUrl(value: unknown, fieldLabel: string): string {
	const raw = typeof value === 'string' ? value.trim() : '';
	if (!raw) throw new HostConfigurationError(`${fieldLabel} is empty`);
	let parsed: URL | undefined;
	try {
		parsed = new URL(raw);
	} catch {
		parsed = undefined;
	}
	if (!parsed) throw new HostConfigurationError(`${fieldLabel} is not a valid URL: "${raw}"`);
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		throw new HostConfigurationError(`${fieldLabel} must start with https:// or http://`);
	}
	if (parsed.search || parsed.hash || parsed.username || parsed.password) {
		throw new HostConfigurationError(`${fieldLabel} must not contain a query, fragment or user info`);
	}
	return trimSlash(parsed.toString());
}

const FAMILY_LABEL: Record<ApiFamily, string> = {
	mde: 'Defender for Endpoint API Base URL',
	graph: 'Microsoft Graph Base URL',
};

/**
 * Hosts and scopes for a credential. Table clouds read CLOUDS; the custom cloud reads the
 * credential's URLs (validated) and uses the global scopes unless overridden.
 */
export function resolveEndpoints(credentials: CloudCredentialFields): ResolvedEndpoints {
	const cloud = (credentials.cloud as CloudChoice | undefined) || 'global';
	if (cloud !== 'custom' && !(cloud in CLOUDS)) {
		throw new HostConfigurationError(`Unknown cloud "${String(cloud)}"`);
	}
	const base = cloud === 'custom' ? CLOUDS.global : CLOUDS[cloud];
	const authority =
		cloud === 'custom' ? validateBaseUrl(credentials.customLoginUrl, 'Login URL') : base.authority;
	const api = {} as ResolvedEndpoints['api'];
	for (const family of API_FAMILIES) {
		const override = scopeOverrideClouds(family).includes(cloud) ? credentials[SCOPE_OVERRIDE_FIELDS[family]] : undefined;
		const scope = typeof override === 'string' && override.trim() ? override.trim() : base.api[family].scope;
		const baseUrl =
			cloud === 'custom'
				? validateBaseUrl(credentials[CUSTOM_BASE_URL_FIELDS[family]], FAMILY_LABEL[family])
				: base.api[family].baseUrl;
		api[family] = { baseUrl, scope, resourceApp: base.api[family].resourceApp };
	}
	return { cloud, authority, api };
}

/** Token endpoint of a tenant (also the `aud` of client assertions). */
export function tokenUrl(authority: string, tenant: string): string {
	return `${trimSlash(authority)}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
}

/**
 * An n8n expression (for the credential's declarative test) that evaluates to the base URL
 * of `familyExpr` for the credential's cloud. Generated from CLOUDS so the table stays the
 * single source. Braces are spaced so no `}}` closes the expression early.
 */
export function baseUrlExpression(familyExpr: string): string {
	const table = (Object.keys(CLOUDS) as CloudName[])
		.map((c) => {
			const fams = API_FAMILIES.map((f) => `${f}: '${CLOUDS[c].api[f].baseUrl}'`).join(', ');
			return `${c}: { ${fams} }`;
		})
		.join(', ');
	const custom = API_FAMILIES.map((f) => `${f}: $credentials.${CUSTOM_BASE_URL_FIELDS[f]}`).join(', ');
	return `={{ ($credentials.cloud === 'custom' ? { ${custom} } : ({ ${table} })[$credentials.cloud || 'global'])[${familyExpr}] }}`;
}

/**
 * The cheap call each family's connection test makes, and the roles that allow it (any one).
 * Lists that answer an empty page (never 404) when the tenant has no data.
 */
export const CONNECTION_TEST_CALLS: Record<ApiFamily, { path: string; roles: string[] }> = {
	mde: { path: '/api/machineactions', roles: ['Machine.Read.All', 'Machine.ReadWrite.All'] },
	graph: { path: '/v1.0/security/incidents', roles: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'] },
};

/** n8n expression: the test call's path for the family chosen in `familyExpr`. */
export function testPathExpression(familyExpr: string): string {
	const map = API_FAMILIES.map((f) => `${f}: '${CONNECTION_TEST_CALLS[f].path}'`).join(', ');
	return `={{ ({ ${map} })[${familyExpr}] }}`;
}

/* ------------------------------------------------------------------------------------------
 * Delegated (authorization code) sign-in: n8n's OAuth2 credential evaluates these expressions
 * over the credential's own fields ($self), so its Connect button uses this table too.
 * ---------------------------------------------------------------------------------------- */

/** The Entra resource (application ID URI) behind a client-credentials scope. */
export function resourceOfScope(scope: string): string {
	return scope.replace(/\/\.default$/i, '');
}

/** JS (inside an expression) for the credential's login host, without a trailing slash. */
function authorityJs(self: string): string {
	const table = (Object.keys(CLOUDS) as CloudName[]).map((c) => `${c}: '${CLOUDS[c].authority}'`).join(', ');
	return `(${self}.cloud === 'custom' ? String(${self}.customLoginUrl || '').trim().replace(/\\/+$/, '') : ({ ${table} })[${self}.cloud || 'global'])`;
}

/** n8n expression: `<login host>/<tenant>/oauth2/v2.0/<endpoint>` for the credential's cloud. */
export function delegatedEndpointExpression(endpoint: 'authorize' | 'token', self = '$self'): string {
	return `={{ ${authorityJs(self)} + '/' + String(${self}.tenantId || '').trim() + '/oauth2/v2.0/${endpoint}' }}`;
}

/**
 * n8n expression: the scopes of the sign-in: the delegated permissions listed in the credential
 * (or `/.default`: every delegated permission configured and consented on the app registration),
 * each prefixed with the sign-in API's resource, plus offline_access for the refresh token.
 */
export function delegatedScopeExpression(self = '$self'): string {
	const table = (Object.keys(CLOUDS) as CloudName[])
		.map((c) => `${c}: { ${API_FAMILIES.map((f) => `${f}: '${resourceOfScope(CLOUDS[c].api[f].scope)}'`).join(', ')} }`)
		.join(', ');
	const resource = `(({ ${table} })[${self}.cloud === 'custom' ? 'global' : (${self}.cloud || 'global')][${self}.signInApi || 'graph'])`;
	const names = `String(${self}.delegatedPermissions || '').split(/[\\s,]+/).filter(Boolean)`;
	return `={{ (${names}.length ? ${names} : ['.default']).map(p => ${resource} + '/' + p).concat(['offline_access']).join(' ') }}`;
}
