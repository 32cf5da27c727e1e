import type { ApiFamily } from './hosts';

/**
 * Application permissions. ENDPOINT_PERMISSIONS is the one permission fact: one row per
 * Microsoft endpoint the package calls, with the application permissions its Learn page lists
 * (any one suffices). The operation table (actions/operations.ts) names the calls each
 * operation makes; what an operation needs is derived from those calls, never typed by hand.
 * The node's 403 hints, Check Permissions, the README table and the least-privilege matrix test
 * read the derived rows.
 */
export interface EndpointPermission {
	api: ApiFamily;
	/** Application permissions, any one suffices (least privileged first). */
	roles: string[];
	/** Learn page the roles are read from. */
	page: string;
}

const MACHINE_READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const ALERT_READ = ['Alert.Read.All', 'Alert.ReadWrite.All'];
const G_ALERT_READ = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'];
const G_INCIDENT_READ = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
const TI_WRITE = ['Ti.ReadWrite', 'Ti.ReadWrite.All'];

/** Keyed `METHOD /path/:param` (the emulator's contract uses the same keys). */
export const ENDPOINT_PERMISSIONS = {
	'GET /api/alerts': { api: 'mde', roles: ALERT_READ, page: 'List alerts API' },
	'GET /api/alerts/:id': { api: 'mde', roles: ALERT_READ, page: 'Get alert information by ID API' },
	'PATCH /api/alerts/:id': { api: 'mde', roles: ['Alert.ReadWrite.All'], page: 'Update alert' },
	'GET /v1.0/security/alerts_v2': { api: 'graph', roles: G_ALERT_READ, page: 'List alerts_v2' },
	'GET /v1.0/security/alerts_v2/:id': { api: 'graph', roles: G_ALERT_READ, page: 'Get alert' },
	'PATCH /v1.0/security/alerts_v2/:id': { api: 'graph', roles: ['SecurityAlert.ReadWrite.All'], page: 'Update alert' },
	'POST /v1.0/security/alerts_v2/:id/comments': { api: 'graph', roles: ['SecurityAlert.ReadWrite.All'], page: 'Create comment for alert' },
	'GET /v1.0/security/incidents': { api: 'graph', roles: G_INCIDENT_READ, page: 'List incidents' },
	'GET /v1.0/security/incidents/:id': { api: 'graph', roles: G_INCIDENT_READ, page: 'Get incident' },
	'PATCH /v1.0/security/incidents/:id': { api: 'graph', roles: ['SecurityIncident.ReadWrite.All'], page: 'Update incident' },
	'POST /v1.0/security/incidents/:id/comments': { api: 'graph', roles: ['SecurityIncident.ReadWrite.All'], page: 'Create comment for incident' },
	'POST /v1.0/security/runHuntingQuery': { api: 'graph', roles: ['ThreatHunting.Read.All'], page: 'security: runHuntingQuery' },
	'POST /api/advancedqueries/run': { api: 'mde', roles: ['AdvancedQuery.Read.All'], page: 'Advanced Hunting API' },
	'GET /api/machines': { api: 'mde', roles: MACHINE_READ, page: 'List machines API' },
	'GET /api/machines/:id': { api: 'mde', roles: MACHINE_READ, page: 'Get machine by ID API (ID or computer name) / Find devices by internal IP API' },
	'GET /api/machines/:id/logonusers': { api: 'mde', roles: ['User.Read.All'], page: 'Get machine logon users API' },
	'POST /api/machines/:id/tags': { api: 'mde', roles: ['Machine.ReadWrite.All'], page: 'Add or Remove Machine Tags API' },
	'POST /api/machines/:id/isolate': { api: 'mde', roles: ['Machine.Isolate'], page: 'Isolate machine API' },
	'POST /api/machines/:id/unisolate': { api: 'mde', roles: ['Machine.Isolate'], page: 'Release device from isolation API' },
	'POST /api/machines/:id/runAntiVirusScan': { api: 'mde', roles: ['Machine.Scan'], page: 'Run antivirus scan API' },
	'POST /api/machines/:id/restrictCodeExecution': { api: 'mde', roles: ['Machine.RestrictExecution'], page: 'Restrict app execution API' },
	'POST /api/machines/:id/unrestrictCodeExecution': { api: 'mde', roles: ['Machine.RestrictExecution'], page: 'Remove app restriction API' },
	'POST /api/machines/:id/collectInvestigationPackage': { api: 'mde', roles: ['Machine.CollectForensics'], page: 'Collect investigation package API' },
	'POST /api/machines/:id/StopAndQuarantineFile': { api: 'mde', roles: ['Machine.StopAndQuarantine'], page: 'Stop and quarantine file API' },
	'POST /api/machines/:id/offboard': { api: 'mde', roles: ['Machine.Offboard'], page: 'Offboard machine API' },
	'GET /api/machineactions': { api: 'mde', roles: MACHINE_READ, page: 'List MachineActions API' },
	'GET /api/machineactions/:id': { api: 'mde', roles: MACHINE_READ, page: 'Get machineAction API' },
	'POST /api/machineactions/:id/cancel': {
		api: 'mde',
		// Any one of the response-action permissions, whatever the action's type.
		roles: ['Machine.Isolate', 'Machine.Scan', 'Machine.RestrictExecution', 'Machine.CollectForensics', 'Machine.StopAndQuarantine', 'Machine.Offboard', 'Machine.LiveResponse'],
		page: 'Cancel machine action API',
	},
	'GET /api/machineactions/:id/GetPackageUri': { api: 'mde', roles: MACHINE_READ, page: 'Get package SAS URI API' },
	'POST /api/machines/:id/runliveresponse': { api: 'mde', roles: ['Machine.LiveResponse'], page: 'Run live response commands on a device' },
	// Application permissions of the result link: the read roles, not Machine.LiveResponse.
	'GET /api/machineactions/:id/GetLiveResponseResultDownloadLink(index=:index)': { api: 'mde', roles: MACHINE_READ, page: 'Get live response results' },
	'GET /api/libraryfiles': { api: 'mde', roles: ['Library.Manage'], page: 'List library files' },
	'POST /api/libraryfiles': { api: 'mde', roles: ['Library.Manage'], page: 'Upload files to the live response library' },
	'DELETE /api/libraryfiles/:fileName': { api: 'mde', roles: ['Library.Manage'], page: 'Delete a file from the live response library' },
	'GET /api/indicators': { api: 'mde', roles: TI_WRITE, page: 'List Indicators API' },
	'POST /api/indicators': { api: 'mde', roles: TI_WRITE, page: 'Submit or Update Indicator API' },
	'DELETE /api/indicators/:id': { api: 'mde', roles: TI_WRITE, page: 'Delete Indicator API' },
	'GET /api/vulnerabilities': { api: 'mde', roles: ['Vulnerability.Read.All'], page: 'List vulnerabilities' },
	'GET /api/machines/:id/vulnerabilities': { api: 'mde', roles: ['Vulnerability.Read.All'], page: 'Get discovered vulnerabilities' },
	'GET /api/software/:id': { api: 'mde', roles: ['Software.Read.All'], page: 'Get software by ID' },
	'GET /api/software/:id/machineReferences': { api: 'mde', roles: ['Software.Read.All'], page: 'List devices by software' },
} satisfies Record<string, EndpointPermission>;

export type EndpointKey = keyof typeof ENDPOINT_PERMISSIONS;

/** Each key as a pattern over request paths: a `:param` is one path segment. */
const ENDPOINT_PATTERNS = (Object.keys(ENDPOINT_PERMISSIONS) as EndpointKey[]).map((key) => {
	const [method, template] = key.split(' ');
	const pattern = template
		.split(/(:[a-zA-Z]+)/)
		.map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
		.join('');
	return { key, method, regex: new RegExp(`^${pattern}$`, 'i') };
});

/** The ENDPOINT_PERMISSIONS row of a request (`GET`, `/api/machines/abc`), if the package knows it. */
export function endpointOf(method: string, path: string): EndpointKey | undefined {
	const bare = path.split('?')[0];
	return ENDPOINT_PATTERNS.find((e) => e.method === method.toUpperCase() && e.regex.test(bare))?.key;
}

/** A call made only with a non-default option, or one the operation does without (and says so). */
export interface OptionalCall {
	call: EndpointKey;
	/** What the call is for, as the README and Check Permissions word it. */
	enables: string;
}

/** How one API serves an operation (the rows of the README table; built in actions/operations.ts). */
export interface OperationPermission {
	resource: string;
	operation: string;
	/** Which API serves the operation. Operations with an "API" option have one row per API. */
	api: ApiFamily;
	/** Human name used in the README and the permission doctor. */
	displayName: string;
	/** Every call the operation makes with default options. */
	calls: EndpointKey[];
	/** Calls behind options, or skipped (and reported) without their permission. */
	optional?: OptionalCall[];
}

/**
 * What a request carries about the operation it serves: its permission rows, one per API, for the
 * 403 hints. A row of the operation table (actions/operations.ts) is one; helpers and the
 * transport take it from the caller rather than importing the table.
 */
export interface OperationRef {
	resource: string;
	operation: string;
	permissions: readonly OperationPermission[];
}

/** The permission row of the API a request went to. */
export function permissionRow(op: OperationRef | undefined, api: ApiFamily): OperationPermission | undefined {
	return op?.permissions.find((p) => p.api === api);
}

/**
 * What one refused request needed: the row of the endpoint actually called (a machine lookup
 * during Isolate needs Machine.Read.All, not Machine.Isolate), else the operation's row.
 */
export function callPermissions(
	op: OperationRef | undefined,
	call: { api: ApiFamily; method: string; path: string },
): Pick<OperationPermission, 'api' | 'calls' | 'operation'> | undefined {
	const key = endpointOf(call.method, call.path);
	const row = permissionRow(op, call.api);
	if (key && ENDPOINT_PERMISSIONS[key].api === call.api) {
		return { api: call.api, calls: [key], operation: row?.operation ?? '' };
	}
	return row;
}

/**
 * What an operation needs with default options: one group per distinct call, each group "any
 * one of". A group that another group's every role would also satisfy is dropped.
 */
export function requiredPermissions(p: Pick<OperationPermission, 'calls'>): string[][] {
	const groups: string[][] = [];
	for (const call of p.calls) {
		const roles = ENDPOINT_PERMISSIONS[call].roles;
		if (!groups.some((g) => g.length === roles.length && g.every((r) => roles.includes(r)))) groups.push([...roles]);
	}
	// {A} and {A, B}: granting A covers both, so {A, B} adds nothing.
	return groups.filter((g) => !groups.some((o) => o !== g && o.length < g.length && o.every((r) => g.includes(r))));
}

/** Groups of `requiredPermissions` the granted roles do not satisfy. */
export function missingPermissions(p: Pick<OperationPermission, 'calls'>, granted: string[]): string[][] {
	return requiredPermissions(p).filter((group) => !group.some((r) => granted.includes(r)));
}

/** Every role that appears in the operation's required groups (for hints). */
export function rolesOf(p: Pick<OperationPermission, 'calls'>): string[] {
	return [...new Set(requiredPermissions(p).flat())];
}

/* ------------------------------------------------------------------------------------------
 * Delegated access (a signed-in user): the app's delegated permission AND the user's Defender
 * role must both allow the call ("Fetch alerts from MSSP customer tenant"; "Access the Microsoft
 * Defender for Endpoint APIs on behalf of a user").
 * ---------------------------------------------------------------------------------------- */

/** The Defender (unified RBAC / MDE) permission a signed-in user needs, by kind of operation. */
export type DefenderUserPermission =
	| 'View data'
	| 'Alerts investigation'
	| 'Active remediation actions'
	| 'Manage security settings';

const REMEDIATION = new Set([
	'Machine.Isolate',
	'Machine.Scan',
	'Machine.RestrictExecution',
	'Machine.StopAndQuarantine',
	'Machine.Offboard',
	'Machine.LiveResponse',
]);

/** Defender for Endpoint delegated permissions that keep `.All` (Learn: "Get machine logon users API"). */
const DELEGATED_KEEPS_ALL = new Set(['User.Read.All']);

/** The delegated name of an application permission (Graph: same; MDE/XDR: without `.All`). */
function delegatedName(api: ApiFamily, role: string): string {
	return api === 'graph' || DELEGATED_KEEPS_ALL.has(role) ? role : role.replace(/\.All$/, '');
}

/**
 * The delegated permission names of an application-permission row: Graph uses the same names;
 * Defender for Endpoint and XDR drop the `.All` (Alert.Read.All → Alert.Read).
 */
export function delegatedScopes(row: Pick<OperationPermission, 'api' | 'calls'>): string[] {
	return [...new Set(rolesOf(row).map((r) => delegatedName(row.api, r)))];
}

/** Application-permission names a token's delegated permissions (`scp`) stand for. */
export function appRolesOfDelegated(api: ApiFamily, scp: string[]): string[] {
	return [...new Set(api === 'graph' ? scp : scp.flatMap((n) => [n, `${n}.All`]))];
}

/** The delegated permissions to add for an operation (one per required group, least privileged). */
export function delegatedToGrant(row: Pick<OperationPermission, 'api' | 'calls'>): string[] {
	return [...new Set(requiredPermissions(row).map((g) => delegatedName(row.api, g[0])))];
}

/** Which Defender permission the signed-in user's role must include for the operation. */
export function userPermissionFor(row: Pick<OperationPermission, 'calls' | 'operation'>): DefenderUserPermission {
	// The operation's own call (the first) decides; auxiliary reads need only "View data".
	const first = ENDPOINT_PERMISSIONS[row.calls[0]]?.roles[0] ?? '';
	// Live Response (Get File included) and the library are not reads ("Investigate entities on
	// devices using live response": uploading to the library needs Manage security settings).
	if (first === 'Machine.LiveResponse') return 'Active remediation actions';
	if (first === 'Library.Manage') return row.operation.startsWith('list') ? 'View data' : 'Manage security settings';
	if (row.operation.startsWith('get')) return 'View data';
	if (REMEDIATION.has(first)) return 'Active remediation actions';
	if (first === 'Machine.CollectForensics') return 'Alerts investigation';
	if (first.startsWith('Ti.') && first !== 'Ti.Read.All') return 'Manage security settings';
	if (first === 'Machine.ReadWrite.All') return 'Manage security settings';
	if (/ReadWrite/.test(first)) return 'Alerts investigation';
	return 'View data';
}
