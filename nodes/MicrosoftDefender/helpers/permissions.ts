import type { ApiFamily } from './hosts';

/**
 * The one table of application permissions per operation. The node's error hints, the
 * permission doctor, the README table and the emulator tests all read it.
 */
export interface OperationPermission {
	resource: string;
	operation: string;
	/** Which API serves the operation. Operations with an "API" option have one row per API. */
	api: ApiFamily;
	/** Human name used in the README and the permission doctor. */
	displayName: string;
	/** Any one of these application roles suffices. The first is the least-privileged one to grant. */
	roles: string[];
}

const MACHINE_READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];
// Cancel accepts any one of the response-action roles, whatever the action's type.
const MACHINE_ACTION_ROLES = [
	'Machine.Isolate',
	'Machine.Scan',
	'Machine.RestrictExecution',
	'Machine.CollectForensics',
	'Machine.StopAndQuarantine',
	'Machine.Offboard',
	'Machine.LiveResponse',
];

export const OPERATION_PERMISSIONS: OperationPermission[] = [
	{ resource: 'alert', operation: 'getAll', api: 'graph', displayName: 'Alert: Get Many', roles: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'get', api: 'graph', displayName: 'Alert: Get', roles: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'update', api: 'graph', displayName: 'Alert: Update', roles: ['SecurityAlert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'addComment', api: 'graph', displayName: 'Alert: Add Comment', roles: ['SecurityAlert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'getAll', api: 'mde', displayName: 'Alert: Get Many (MDE API)', roles: ['Alert.Read.All', 'Alert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'get', api: 'mde', displayName: 'Alert: Get (MDE API)', roles: ['Alert.Read.All', 'Alert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'update', api: 'mde', displayName: 'Alert: Update (MDE API)', roles: ['Alert.ReadWrite.All'] },
	{ resource: 'alert', operation: 'addComment', api: 'mde', displayName: 'Alert: Add Comment (MDE API)', roles: ['Alert.ReadWrite.All'] },

	{ resource: 'incident', operation: 'getAll', api: 'graph', displayName: 'Incident: Get Many', roles: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'] },
	{ resource: 'incident', operation: 'get', api: 'graph', displayName: 'Incident: Get', roles: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'] },
	{ resource: 'incident', operation: 'update', api: 'graph', displayName: 'Incident: Update', roles: ['SecurityIncident.ReadWrite.All'] },
	{ resource: 'incident', operation: 'addComment', api: 'graph', displayName: 'Incident: Add Comment', roles: ['SecurityIncident.ReadWrite.All'] },

	{ resource: 'advancedHunting', operation: 'runQuery', api: 'graph', displayName: 'Advanced Hunting: Run Query', roles: ['ThreatHunting.Read.All'] },
	{ resource: 'advancedHunting', operation: 'runQuery', api: 'mde', displayName: 'Advanced Hunting: Run Query (MDE API)', roles: ['AdvancedQuery.Read.All'] },

	{ resource: 'machine', operation: 'getAll', api: 'mde', displayName: 'Machine: Get Many', roles: MACHINE_READ },
	{ resource: 'machine', operation: 'get', api: 'mde', displayName: 'Machine: Get', roles: MACHINE_READ },
	{ resource: 'machine', operation: 'getLoggedOnUsers', api: 'mde', displayName: 'Machine: Get Logged-On Users', roles: ['User.Read.All'] },
	{ resource: 'machine', operation: 'addTag', api: 'mde', displayName: 'Machine: Add Tag', roles: ['Machine.ReadWrite.All'] },
	{ resource: 'machine', operation: 'removeTag', api: 'mde', displayName: 'Machine: Remove Tag', roles: ['Machine.ReadWrite.All'] },
	{ resource: 'machine', operation: 'isolate', api: 'mde', displayName: 'Machine: Isolate', roles: ['Machine.Isolate'] },
	{ resource: 'machine', operation: 'release', api: 'mde', displayName: 'Machine: Release From Isolation', roles: ['Machine.Isolate'] },
	{ resource: 'machine', operation: 'runAntivirusScan', api: 'mde', displayName: 'Machine: Run Antivirus Scan', roles: ['Machine.Scan'] },
	{ resource: 'machine', operation: 'restrictAppExecution', api: 'mde', displayName: 'Machine: Restrict App Execution', roles: ['Machine.RestrictExecution'] },
	{ resource: 'machine', operation: 'removeAppRestriction', api: 'mde', displayName: 'Machine: Remove App Restriction', roles: ['Machine.RestrictExecution'] },
	{ resource: 'machine', operation: 'collectInvestigationPackage', api: 'mde', displayName: 'Machine: Collect Investigation Package', roles: ['Machine.CollectForensics'] },
	{ resource: 'machine', operation: 'stopAndQuarantineFile', api: 'mde', displayName: 'Machine: Stop and Quarantine File', roles: ['Machine.StopAndQuarantine'] },
	{ resource: 'machine', operation: 'offboard', api: 'mde', displayName: 'Machine: Offboard', roles: ['Machine.Offboard'] },

	{ resource: 'machineAction', operation: 'get', api: 'mde', displayName: 'Machine Action: Get', roles: MACHINE_READ },
	{ resource: 'machineAction', operation: 'getAll', api: 'mde', displayName: 'Machine Action: Get Many', roles: MACHINE_READ },
	{ resource: 'machineAction', operation: 'cancel', api: 'mde', displayName: 'Machine Action: Cancel', roles: MACHINE_ACTION_ROLES },
	{ resource: 'machineAction', operation: 'getPackageUri', api: 'mde', displayName: 'Machine Action: Get Investigation Package Link', roles: MACHINE_READ },

	{ resource: 'indicator', operation: 'getAll', api: 'mde', displayName: 'Indicator: Get Many', roles: ['Ti.ReadWrite', 'Ti.ReadWrite.All', 'Ti.Read.All'] },
	{ resource: 'indicator', operation: 'createOrUpdate', api: 'mde', displayName: 'Indicator: Create or Update', roles: ['Ti.ReadWrite', 'Ti.ReadWrite.All'] },
	{ resource: 'indicator', operation: 'delete', api: 'mde', displayName: 'Indicator: Delete', roles: ['Ti.ReadWrite', 'Ti.ReadWrite.All'] },

	{ resource: 'vulnerability', operation: 'getAll', api: 'mde', displayName: 'Vulnerability: Get Many', roles: ['Vulnerability.Read.All'] },
	{ resource: 'vulnerability', operation: 'getAllForMachine', api: 'mde', displayName: 'Vulnerability: Get Many for Machine', roles: ['Vulnerability.Read.All'] },

	{ resource: 'software', operation: 'get', api: 'mde', displayName: 'Software: Get', roles: ['Software.Read.All'] },
	{ resource: 'software', operation: 'getMachines', api: 'mde', displayName: 'Software: Get Machines', roles: ['Software.Read.All'] },
];

export function permissionsFor(resource: string, operation: string, api?: ApiFamily): OperationPermission | undefined {
	return OPERATION_PERMISSIONS.find(
		(p) => p.resource === resource && p.operation === operation && (api === undefined || p.api === api),
	);
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

/**
 * The delegated permission names of an application-permission row: Graph uses the same names;
 * Defender for Endpoint and XDR drop the `.All` (Alert.Read.All → Alert.Read).
 */
export function delegatedScopes(row: Pick<OperationPermission, 'api' | 'roles'>): string[] {
	const names = row.api === 'graph' ? row.roles : row.roles.map((r) => r.replace(/\.All$/, ''));
	return [...new Set(names)];
}

/** Which Defender permission the signed-in user's role must include for the operation. */
export function userPermissionFor(row: Pick<OperationPermission, 'roles' | 'operation'>): DefenderUserPermission {
	const first = row.roles[0] ?? '';
	if (row.operation.startsWith('get')) return 'View data';
	if (REMEDIATION.has(first)) return 'Active remediation actions';
	if (first === 'Machine.CollectForensics') return 'Alerts investigation';
	if (first.startsWith('Ti.') && first !== 'Ti.Read.All') return 'Manage security settings';
	if (first === 'Machine.ReadWrite.All') return 'Manage security settings';
	if (/ReadWrite/.test(first)) return 'Alerts investigation';
	return 'View data';
}
