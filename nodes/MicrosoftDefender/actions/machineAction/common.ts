import type { INodeProperties } from 'n8n-workflow';

export const actionIdProperty: INodeProperties = {
	displayName: 'Machine Action ID',
	name: 'actionId',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. 5382f7ea-7557-4ab7-9782-d50480024a4e',
	description: 'The ID (a GUID) of the machine action, as returned by a response action',
};

export const MACHINE_ACTION_TYPES = [
	{ name: 'Collect Investigation Package', value: 'CollectInvestigationPackage' },
	{ name: 'Isolate', value: 'Isolate' },
	{ name: 'Live Response', value: 'LiveResponse' },
	{ name: 'Offboard', value: 'Offboard' },
	{ name: 'Restrict Code Execution', value: 'RestrictCodeExecution' },
	{ name: 'Run Antivirus Scan', value: 'RunAntiVirusScan' },
	{ name: 'Stop and Quarantine File', value: 'StopAndQuarantineFile' },
	{ name: 'Unisolate', value: 'Unisolate' },
	{ name: 'Unrestrict Code Execution', value: 'UnrestrictCodeExecution' },
];

export const MACHINE_ACTION_STATUSES = [
	{ name: 'Cancelled', value: 'Cancelled' },
	{ name: 'Failed', value: 'Failed' },
	{ name: 'In Progress', value: 'InProgress' },
	{ name: 'Pending', value: 'Pending' },
	{ name: 'Succeeded', value: 'Succeeded' },
	{ name: 'Time Out', value: 'TimeOut' },
];
