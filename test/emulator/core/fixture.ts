/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-hardcoded-secrets -- test-only fixture values */
/**
 * Tenants and app registrations the emulator knows. TEST-ONLY values: every secret, key and
 * certificate here exists only for the emulator (keys: test/fixtures/tls, made by make-certs.sh).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApiFamily } from '../types';

export const TLS_DIR = path.join(__dirname, '..', '..', 'fixtures', 'tls');
const readTls = (name: string) => fs.readFileSync(path.join(TLS_DIR, name), 'utf8');

export interface FixtureTenant {
	id: string;
	/** Verified domain, accepted in place of the GUID in the token URL. */
	domain: string;
	displayName: string;
	/** Resource apps provisioned in the tenant (absent → AADSTS500011). Default: all three. */
	resources?: ApiFamily[];
}

export interface FixtureApp {
	name: string;
	clientId: string;
	/** Tenant ids where the app has a service principal (consented). Others → AADSTS700016. */
	tenants: string[];
	secret?: string;
	/** The secret's ID (a GUID users often paste by mistake → AADSTS7000215 hint). */
	secretId?: string;
	/** ISO time after which the secret is rejected with AADSTS7000222. */
	secretExpiresAt?: string;
	/** Registered certificate (PEM) for client assertions, and its key (tests sign with it). */
	certPem?: string;
	keyPem?: string;
	/** Application roles granted (admin-consented) per resource family, in every tenant of `tenants`. */
	roles: Record<ApiFamily, string[]>;
	/** Optional per-tenant override of `roles`. */
	rolesByTenant?: Record<string, Partial<Record<ApiFamily, string[]>>>;
	/** Web redirect URIs (delegated sign-in). Loopback http URIs match on any port. */
	redirectUris?: string[];
	/** Delegated permissions with admin consent, per resource family (what `/.default` yields). */
	delegated?: Partial<Record<ApiFamily, string[]>>;
}

/** A user who can sign in (delegated flows); Defender permissions come from the user's roles. */
export interface FixtureUser {
	upn: string;
	oid: string;
	displayName: string;
	tenantId: string;
	/** Defender role permissions: 'View data', 'Alerts investigation', 'Active remediation actions', 'Manage security settings'. */
	defenderPermissions: string[];
}

export interface Fixture {
	tenants: Record<string, FixtureTenant>;
	apps: Record<string, FixtureApp>;
	/** Users by upn (delegated sign-in). */
	users?: Record<string, FixtureUser>;
}

/** Every application permission the node can use, per resource family (defender-api.md §2). */
export const ALL_ROLES: Record<ApiFamily, string[]> = {
	mde: [
		'Alert.Read.All',
		'Alert.ReadWrite.All',
		'Machine.Read.All',
		'Machine.ReadWrite.All',
		'Machine.Isolate',
		'Machine.Scan',
		'Machine.RestrictExecution',
		'Machine.CollectForensics',
		'Machine.StopAndQuarantine',
		'Machine.Offboard',
		'Machine.LiveResponse',
		'Library.Manage',
		'AdvancedQuery.Read.All',
		'Ti.ReadWrite',
		'Ti.ReadWrite.All',
		'Vulnerability.Read.All',
		'Software.Read.All',
		'User.Read.All',
	],
	xdr: ['Incident.Read.All', 'Incident.ReadWrite.All', 'AdvancedHunting.Read.All'],
	graph: [
		'SecurityIncident.Read.All',
		'SecurityIncident.ReadWrite.All',
		'SecurityAlert.Read.All',
		'SecurityAlert.ReadWrite.All',
		'ThreatHunting.Read.All',
	],
};

const readOnly = (roles: string[]) => roles.filter((r) => r.endsWith('.Read.All'));

const TENANT_A = '11111111-1111-4111-8111-111111111111';
const TENANT_B = '22222222-2222-4222-8222-222222222222';
const TENANT_C = '33333333-3333-4333-8333-333333333333';

export const FIXTURE = {
	tenants: {
		A: { id: TENANT_A, domain: 'contoso.onmicrosoft.com', displayName: 'Contoso' },
		B: { id: TENANT_B, domain: 'fabrikam.onmicrosoft.com', displayName: 'Fabrikam' },
		C: { id: TENANT_C, domain: 'northwind.onmicrosoft.com', displayName: 'Northwind' },
	},
	apps: {
		full: {
			name: 'FULL',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000001',
			tenants: [TENANT_A, TENANT_B, TENANT_C],
			secret: 'full-secret-value',
			secretId: '5b1c0d2e-3f40-4a5b-8c6d-7e8f90a1b2c3',
			certPem: readTls('app-full.pem'),
			keyPem: readTls('app-full.key'),
			roles: { mde: [...ALL_ROLES.mde], xdr: [...ALL_ROLES.xdr], graph: [...ALL_ROLES.graph] },
		},
		readonly: {
			name: 'READONLY',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000002',
			tenants: [TENANT_A],
			secret: 'readonly-secret-value',
			secretId: '6c2d1e3f-4051-4b6c-9d7e-8f90a1b2c3d4',
			roles: {
				mde: readOnly(ALL_ROLES.mde),
				xdr: readOnly(ALL_ROLES.xdr),
				graph: readOnly(ALL_ROLES.graph),
			},
		},
		noroles: {
			name: 'NOROLES',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000003',
			tenants: [TENANT_A],
			secret: 'noroles-secret-value',
			secretId: '7d3e2f40-5162-4c7d-ae8f-90a1b2c3d4e5',
			roles: { mde: [], xdr: [], graph: [] },
		},
		delegated: {
			name: 'MSSP-DELEGATED',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000005',
			tenants: [TENANT_A],
			secret: 'delegated-secret-value',
			redirectUris: ['http://localhost/rest/oauth2-credential/callback', 'http://127.0.0.1/rest/oauth2-credential/callback'],
			roles: { mde: [], xdr: [], graph: [] },
			delegated: {
				mde: ['Alert.Read', 'Alert.ReadWrite', 'Machine.Read', 'Machine.ReadWrite', 'Machine.Isolate', 'Machine.Scan', 'AdvancedQuery.Read'],
				xdr: ['Incident.Read', 'AdvancedHunting.Read'],
				graph: ['SecurityAlert.ReadWrite.All', 'SecurityIncident.ReadWrite.All', 'ThreatHunting.Read.All'],
			},
		},
		delegatedGraphOnly: {
			name: 'MSSP-DELEGATED-GRAPH-ONLY',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000006',
			tenants: [TENANT_A],
			secret: 'delegated-graph-only-secret',
			redirectUris: ['http://localhost/rest/oauth2-credential/callback', 'http://127.0.0.1/rest/oauth2-credential/callback'],
			roles: { mde: [], xdr: [], graph: [] },
			delegated: { graph: ['SecurityAlert.Read.All', 'SecurityIncident.Read.All'] },
		},
		expired: {
			name: 'EXPIRED',
			clientId: 'aaaaaaaa-0000-4000-8000-000000000004',
			tenants: [TENANT_A],
			secret: 'expired-secret-value',
			secretId: '8e4f3051-6273-4d8e-bf90-a1b2c3d4e5f6',
			secretExpiresAt: '2024-01-01T00:00:00Z',
			roles: { mde: [...ALL_ROLES.mde], xdr: [...ALL_ROLES.xdr], graph: [...ALL_ROLES.graph] },
		},
	},
	/** Analysts of tenant A for delegated sign-in. */
	users: {
		analyst: {
			upn: 'analyst@contoso.onmicrosoft.com',
			oid: 'bbbbbbbb-0000-4000-8000-000000000001',
			displayName: 'Ana Analyst',
			tenantId: TENANT_A,
			defenderPermissions: ['View data', 'Alerts investigation', 'Active remediation actions'],
		},
		reader: {
			upn: 'reader@contoso.onmicrosoft.com',
			oid: 'bbbbbbbb-0000-4000-8000-000000000002',
			displayName: 'Rita Reader',
			tenantId: TENANT_A,
			defenderPermissions: ['View data'],
		},
	},
	/** A valid certificate + key registered on no app (→ AADSTS700027). */
	unregisteredCert: { certPem: readTls('app-other.pem'), keyPem: readTls('app-other.key') },
	/** Test CA (trust it for httpsUrl) and the server's own certificate. */
	tls: {
		caPem: readTls('ca.pem'),
		serverCertPem: readTls('server.pem'),
		serverKeyPem: readTls('server.key'),
	},
} as const;

/** The default fixture as the plain structure the core works on. */
export function defaultFixture(): Fixture {
	const tenants: Record<string, FixtureTenant> = {};
	for (const t of Object.values(FIXTURE.tenants)) tenants[t.id] = { ...t };
	const apps: Record<string, FixtureApp> = {};
	for (const a of Object.values(FIXTURE.apps)) {
		apps[a.clientId] = {
			...(a as unknown as FixtureApp),
			tenants: [...a.tenants],
			roles: { mde: [...a.roles.mde], xdr: [...a.roles.xdr], graph: [...a.roles.graph] },
		};
	}
	const users: Record<string, FixtureUser> = {};
	for (const u of Object.values(FIXTURE.users)) users[u.upn] = { ...u, defenderPermissions: [...u.defenderPermissions] };
	return { tenants, apps, users };
}

export function rolesOf(app: FixtureApp, tenantId: string, family: ApiFamily): string[] {
	return app.rolesByTenant?.[tenantId]?.[family] ?? app.roles[family] ?? [];
}
