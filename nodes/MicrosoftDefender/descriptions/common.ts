import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/**
 * Shared parameters. Operations wrap them with `updateDisplayOptions`, which merges their own
 * `displayOptions` (e.g. Limit shows only when Return All is off).
 */
export const returnAllParameter: INodeProperties = {
	displayName: 'Return All',
	name: 'returnAll',
	type: 'boolean',
	default: false,
	description: 'Whether to return all results or only up to a given limit',
};

export const limitParameter: INodeProperties = {
	displayName: 'Limit',
	name: 'limit',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 50,
	description: 'Max number of results to return',
	displayOptions: { show: { returnAll: [false] } },
};

export const simplifyParameter: INodeProperties = {
	displayName: 'Simplify',
	name: 'simplify',
	type: 'boolean',
	default: true,
	description: 'Whether to return a simplified version of the response instead of the raw data',
};

/** Return All + Limit, in display order. */
export const returnAllOrLimit: INodeProperties[] = [returnAllParameter, limitParameter];

/** The Filters collection of a Get Many or the trigger, without its options: `{ ...filtersCollection, options }`. */
export const filtersCollection = {
	displayName: 'Filters',
	name: 'filters',
	type: 'collection',
	placeholder: 'Add Filter',
	default: {},
} satisfies Omit<INodeProperties, 'options'>;

/** The Update Fields collection of an Update operation, without its options. */
export const updateFieldsCollection = {
	displayName: 'Update Fields',
	name: 'updateFields',
	type: 'collection',
	placeholder: 'Add Field',
	default: {},
} satisfies Omit<INodeProperties, 'options'>;

/* Triage fields of alerts and incidents: filters (Get Many, trigger) and fields to set (Update). */

/** Assigned To as a filter ("Only … assigned to this user") or as the field to set. */
export function assignedToParameter(description: string): INodeProperties {
	return {
		displayName: 'Assigned To',
		name: 'assignedTo',
		type: 'string',
		default: '',
		placeholder: 'e.g. analyst@contoso.com',
		description,
	};
}

/** Created Since / Updated Since filter of `records` ("alerts", "incidents"). */
export function sinceFilter(name: 'createdSince' | 'updatedSince', records: string): INodeProperties {
	const created = name === 'createdSince';
	return {
		displayName: created ? 'Created Since' : 'Updated Since',
		name,
		type: 'dateTime',
		default: '',
		description: `Only ${records} ${created ? 'created' : 'changed'} at or after this time (UTC when no zone is given)`,
	};
}

/** A multi-value filter (Severity, Status, Classification, Determination). */
export function multiFilter(displayName: string, name: string, options: INodePropertyOptions[]): INodeProperties {
	return { displayName, name, type: 'multiOptions', default: [], options };
}

/** The raw `$filter` of a Get Many, ANDed with the other filters. */
export function rawFilterParameter(placeholder: string, description: string): INodeProperties {
	return { displayName: 'Custom OData Filter', name: 'rawFilter', type: 'string', default: '', placeholder, description };
}

/** Classification and Determination as fields to set on an alert or incident. */
export function verdictFields(determinationDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Classification',
			name: 'classification',
			type: 'options',
			default: 'truePositive',
			options: classificationOptions,
		},
		{
			displayName: 'Determination',
			name: 'determination',
			type: 'options',
			default: 'malware',
			options: determinationOptions,
			description: determinationDescription,
		},
	];
}

/** The text of a comment on an alert or incident. */
export function commentTextParameter(placeholder: string): INodeProperties {
	return {
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder,
	};
}

/* Value lists in the Graph vocabulary (helpers/simplify.ts maps them for the MDE API). */

export const severityOptions: INodePropertyOptions[] = [
	{ name: 'High', value: 'high' },
	{ name: 'Medium', value: 'medium' },
	{ name: 'Low', value: 'low' },
	{ name: 'Informational', value: 'informational' },
	{ name: 'Unknown', value: 'unknown' },
];

/** In the order an alert goes through them (three options: the lint's alphabetical rule starts at five). */
export const alertStatusOptions: INodePropertyOptions[] = [
	{ name: 'New', value: 'new' },
	{ name: 'In Progress', value: 'inProgress' },
	{ name: 'Resolved', value: 'resolved' },
];

/**
 * Statuses Graph's *Update incident* accepts on PATCH: active, resolved, redirected. (The
 * resource page adds awaitingAction, which "only Microsoft 365 Defender experts" can set, and
 * inProgress, which PATCH does not list.)
 */
export const incidentUpdateStatusOptions: INodePropertyOptions[] = [
	{ name: 'Active', value: 'active' },
	{ name: 'Redirected', value: 'redirected', description: 'Merged into another incident' },
	{ name: 'Resolved', value: 'resolved' },
];

/** Statuses an incident can have (filters): the PATCH values plus the ones only Microsoft sets. */
export const incidentStatusOptions: INodePropertyOptions[] = [
	{ name: 'Active', value: 'active' },
	{
		name: 'Awaiting Action',
		value: 'awaitingAction',
		description: 'Newer Graph status; the node asks Graph to include it',
	},
	{ name: 'In Progress', value: 'inProgress' },
	{ name: 'Redirected', value: 'redirected', description: 'Merged into another incident' },
	{ name: 'Resolved', value: 'resolved' },
];

/**
 * The products a Graph alert comes from (`serviceSource`): every member of the v1.0 enum
 * (Microsoft Learn: "Security enum values - Microsoft Graph v1.0"; "alert resource type") but
 * `unknown` and the `unknownFutureValue` sentinel. Members listed after the sentinel come back
 * only with `Prefer: include-unknown-enum-members`, which the transport sends on every Graph call.
 */
export const serviceSourceOptions: INodePropertyOptions[] = [
	{ name: 'Data Loss Prevention', value: 'dataLossPrevention' },
	{ name: 'Microsoft 365 Defender', value: 'microsoft365Defender' },
	{ name: 'Microsoft App Governance', value: 'microsoftAppGovernance' },
	{ name: 'Microsoft Defender for Cloud', value: 'microsoftDefenderForCloud' },
	{ name: 'Microsoft Defender for Cloud Apps', value: 'microsoftDefenderForCloudApps' },
	{ name: 'Microsoft Defender for Endpoint', value: 'microsoftDefenderForEndpoint' },
	{ name: 'Microsoft Defender for Identity', value: 'microsoftDefenderForIdentity' },
	{ name: 'Microsoft Defender for Office 365', value: 'microsoftDefenderForOffice365' },
	{ name: 'Microsoft Entra ID Protection', value: 'azureAdIdentityProtection' },
	{ name: 'Microsoft Security for AI', value: 'microsoftSecurityForAI' },
	{ name: 'Microsoft Sentinel', value: 'microsoftSentinel' },
	{ name: 'Microsoft Threat Intelligence', value: 'microsoftThreatIntelligence' },
];

export const classificationOptions: INodePropertyOptions[] = [
	{ name: 'False Positive', value: 'falsePositive' },
	{ name: 'Informational, Expected Activity', value: 'informationalExpectedActivity' },
	{ name: 'True Positive', value: 'truePositive' },
];

export const classificationFilterOptions: INodePropertyOptions[] = [
	...classificationOptions,
	{ name: 'Unknown (Not Classified)', value: 'unknown' },
];

/**
 * One list of determinations (Graph's current names). The MDE alerts API gets the names its
 * alerts.md page documents (CompromisedUser, Clean, InsufficientData, ConfirmedUserActivity).
 */
export const determinationOptions: INodePropertyOptions[] = [
	{ name: 'Compromised Account', value: 'compromisedAccount', description: 'True positive' },
	{ name: 'Confirmed Activity', value: 'confirmedActivity', description: 'Informational, expected activity' },
	{ name: 'Line-of-Business Application', value: 'lineOfBusinessApplication', description: 'Informational, expected activity' },
	{ name: 'Malicious User Activity', value: 'maliciousUserActivity', description: 'True positive' },
	{ name: 'Malware', value: 'malware', description: 'True positive' },
	{ name: 'Multistage Attack', value: 'multiStagedAttack', description: 'True positive' },
	{ name: 'Not Enough Data to Validate', value: 'notEnoughDataToValidate', description: 'False positive' },
	{ name: 'Not Malicious', value: 'notMalicious', description: 'False positive' },
	{ name: 'Other', value: 'other' },
	{ name: 'Phishing', value: 'phishing', description: 'True positive' },
	{ name: 'Security Testing', value: 'securityTesting', description: 'Informational, expected activity' },
	{ name: 'Unwanted Software', value: 'unwantedSoftware', description: 'True positive' },
];
