import type { INodeProperties } from 'n8n-workflow';

import type { EndpointKey, OptionalCall } from './permissions';

/**
 * The machine response actions, as data: one spec per action. The runner
 * (actions/machine/responseAction.ts) builds each operation's parameters and execute from it;
 * the permission table reads `call` (the POST, whose ENDPOINT_PERMISSIONS row names the
 * application permission and its Learn page) and `optional`. Learn pages: "Isolate machine API",
 * "Release device from isolation API", "Run antivirus scan API", "Restrict app execution API",
 * "Remove app restriction API", "Collect investigation package API", "Stop and quarantine file
 * API", "Offboard machine API"; the MachineAction `type` values: "MachineAction resource type".
 */

/** MachineAction `type` values of the actions the node sends. */
export type MachineActionType =
	| 'Isolate'
	| 'Unisolate'
	| 'RunAntiVirusScan'
	| 'RestrictCodeExecution'
	| 'UnrestrictCodeExecution'
	| 'CollectInvestigationPackage'
	| 'StopAndQuarantineFile'
	| 'Offboard'
	| 'LiveResponse';

/** One input sent in the body, under Microsoft's case-sensitive key. */
export interface BodyField {
	key: string;
	/** The node parameter it is read from (its default applies when the parameter is absent). */
	property: INodeProperties;
	/** `sha1`: validated as a SHA-1, sent lower case, and the pending-action check matches on it. */
	check?: 'sha1';
}

export interface ResponseActionSpec {
	/** Name in the permission table, README and Check Permissions. */
	displayName: string;
	/** The POST `/api/machines/:id/<endpoint>` the action sends. */
	call: EndpointKey & `POST /api/machines/:id/${string}`;
	type: Exclude<MachineActionType, 'LiveResponse'>;
	/** The required Comment: its default and why the action is taken. */
	comment: { default: string; why: string };
	body?: BodyField[];
	/** Calls made only with an option, besides those every response action has. */
	optional?: OptionalCall[];
}

const SPECS = {
	isolate: {
		displayName: 'Machine: Isolate',
		call: 'POST /api/machines/:id/isolate',
		type: 'Isolate',
		comment: { default: 'Isolated by n8n', why: 'Why the machine is isolated.' },
		body: [
			{
				key: 'IsolationType',
				property: {
					displayName: 'Isolation Type',
					name: 'isolationType',
					type: 'options',
					options: [
						{
							name: 'Full',
							value: 'Full',
							description: 'Cut every network connection except to the Defender service',
						},
						{
							name: 'Selective',
							value: 'Selective',
							description: 'Keep Outlook, Teams and Skype for Business working (Windows 10 1709+)',
						},
						{
							name: 'Unmanaged Device',
							value: 'UnManagedDevice',
							description: 'Contain a device that is not onboarded to Defender',
						},
					],
					default: 'Full',
				},
			},
		],
	},
	release: {
		displayName: 'Machine: Release From Isolation',
		call: 'POST /api/machines/:id/unisolate',
		type: 'Unisolate',
		comment: { default: 'Released by n8n', why: 'Why the machine is released from isolation.' },
	},
	runAntivirusScan: {
		displayName: 'Machine: Run Antivirus Scan',
		call: 'POST /api/machines/:id/runAntiVirusScan',
		type: 'RunAntiVirusScan',
		comment: { default: 'Antivirus scan started by n8n', why: 'Why the scan is run.' },
		body: [
			{
				key: 'ScanType',
				property: {
					displayName: 'Scan Type',
					name: 'scanType',
					type: 'options',
					options: [
						{ name: 'Full', value: 'Full', description: 'Scan every file (can take hours)' },
						{ name: 'Quick', value: 'Quick', description: 'Scan the usual malware locations' },
					],
					default: 'Quick',
				},
			},
		],
	},
	restrictAppExecution: {
		displayName: 'Machine: Restrict App Execution',
		call: 'POST /api/machines/:id/restrictCodeExecution',
		type: 'RestrictCodeExecution',
		comment: { default: 'App execution restricted by n8n', why: 'Why app execution is restricted.' },
	},
	removeAppRestriction: {
		displayName: 'Machine: Remove App Restriction',
		call: 'POST /api/machines/:id/unrestrictCodeExecution',
		type: 'UnrestrictCodeExecution',
		comment: { default: 'App restriction removed by n8n', why: 'Why the restriction is removed.' },
	},
	collectInvestigationPackage: {
		displayName: 'Machine: Collect Investigation Package',
		call: 'POST /api/machines/:id/collectInvestigationPackage',
		type: 'CollectInvestigationPackage',
		comment: { default: 'Investigation package collected by n8n', why: 'Why the package is collected.' },
		optional: [{ call: 'GET /api/machineactions/:id/GetPackageUri', enables: 'Download Package' }],
	},
	stopAndQuarantineFile: {
		displayName: 'Machine: Stop and Quarantine File',
		call: 'POST /api/machines/:id/StopAndQuarantineFile',
		type: 'StopAndQuarantineFile',
		comment: { default: 'File quarantined by n8n', why: 'Why the file is stopped and quarantined.' },
		body: [
			{
				key: 'Sha1',
				check: 'sha1',
				property: {
					displayName: 'SHA1',
					name: 'sha1',
					type: 'string',
					required: true,
					default: '',
					placeholder: 'e.g. 87662bc3d60e4200ceaf7aae249d1c343f4b83c9',
					description: 'SHA-1 of the file to stop and quarantine (only SHA-1 is supported by Microsoft)',
				},
			},
		],
	},
	offboard: {
		displayName: 'Machine: Offboard',
		call: 'POST /api/machines/:id/offboard',
		type: 'Offboard',
		comment: { default: 'Offboarded by n8n', why: 'Why the machine is offboarded.' },
	},
} satisfies Record<string, ResponseActionSpec>;

export type ResponseActionOperation = keyof typeof SPECS;

/** Keyed by the n8n operation (resource `machine`), in the order of the permission table. */
export const RESPONSE_ACTIONS: Record<ResponseActionOperation, ResponseActionSpec> = SPECS;

/** The path segment after `/api/machines/{id}/` of the action's POST. */
export function endpointOf(spec: Pick<ResponseActionSpec, 'call'>): string {
	return spec.call.slice('POST /api/machines/:id/'.length);
}
