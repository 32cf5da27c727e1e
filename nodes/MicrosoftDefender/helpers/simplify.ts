/**
 * Output shaping and value vocabulary shared by alerts, incidents and the trigger.
 *
 * The node speaks one vocabulary in the UI and in simplified output: Microsoft Graph's
 * lowerCamel enum values (`inProgress`, `truePositive`, `compromisedAccount`). MDE and XDR use
 * PascalCase and, for determinations, other names depending on the doc page; Graph itself has
 * two generations of determination names. Everything read is normalised to the current Graph
 * names; everything written to MDE is mapped back.
 */
import type { IDataObject } from 'n8n-workflow';

export type EnumKind = 'status' | 'severity' | 'classification' | 'determination';

function lowerFirst(value: string): string {
	return value.length ? value[0].toLowerCase() + value.slice(1) : value;
}

function upperFirst(value: string): string {
	return value.length ? value[0].toUpperCase() + value.slice(1) : value;
}

/** Every spelling seen in MDE, XDR and both Graph generations → current Graph name (lower-cased key). */
const DETERMINATION_TO_GRAPH: Record<string, string> = {
	compromiseduser: 'compromisedAccount',
	compromisedaccount: 'compromisedAccount',
	clean: 'notMalicious',
	notmalicious: 'notMalicious',
	insufficientdata: 'notEnoughDataToValidate',
	noenoughdatatovalidate: 'notEnoughDataToValidate',
	notenoughdatatovalidate: 'notEnoughDataToValidate',
	confirmeduseractivity: 'confirmedActivity',
	confirmedactivity: 'confirmedActivity',
	notavailable: 'unknown',
	multistagedattack: 'multiStagedAttack',
	malicioususeractivity: 'maliciousUserActivity',
	malware: 'malware',
	phishing: 'phishing',
	unwantedsoftware: 'unwantedSoftware',
	securitytesting: 'securityTesting',
	lineofbusinessapplication: 'lineOfBusinessApplication',
	other: 'other',
	apt: 'apt',
	securitypersonnel: 'securityPersonnel',
	unknown: 'unknown',
};

/** Current Graph name → the name MDE's *Update alert* page documents for the PATCH. */
const DETERMINATION_TO_MDE: Record<string, string> = {
	compromisedAccount: 'CompromisedUser',
	notMalicious: 'NotMalicious',
	notEnoughDataToValidate: 'InsufficientData',
	confirmedActivity: 'ConfirmedActivity',
};

/**
 * MDE alert determinations Microsoft's pages spell two ways: *Update alert* (NotMalicious,
 * ConfirmedActivity) against the alert resource page (Clean, ConfirmedUserActivity). The docs do
 * not say which one the PATCH accepts, so the node sends the first and, refused, the other.
 */
export const MDE_DETERMINATION_ALTERNATIVE: Record<string, string> = {
	NotMalicious: 'Clean',
	Clean: 'NotMalicious',
	ConfirmedActivity: 'ConfirmedUserActivity',
	ConfirmedUserActivity: 'ConfirmedActivity',
};

/**
 * Normalises an enum value from any API to the Graph vocabulary. Unknown values are only
 * lower-first-cased, so new members pass through. `null`/`undefined` stay as they are.
 */
export function toGraphValue(kind: EnumKind, value: unknown): unknown {
	if (typeof value !== 'string' || value === '') return value;
	const key = value.toLowerCase();
	if (kind === 'severity' && key === 'unspecified') return 'unknown';
	if (kind === 'determination') return DETERMINATION_TO_GRAPH[key] ?? lowerFirst(value);
	if (kind === 'status' && key === 'inprogress') return 'inProgress';
	if (kind === 'status' && key === 'awaitingaction') return 'awaitingAction';
	if (kind === 'classification') {
		const map: Record<string, string> = {
			truepositive: 'truePositive',
			falsepositive: 'falsePositive',
			informationalexpectedactivity: 'informationalExpectedActivity',
		};
		if (map[key]) return map[key];
	}
	return lowerFirst(value);
}

/**
 * Maps a Graph-vocabulary value (what the UI offers) to the MDE alerts API. Values the UI
 * doesn't know (typed as an expression) are sent with only their first letter upper-cased, so
 * MDE's own names typed verbatim still work and the API's 400 message explains the rest.
 */
export function toMdeValue(kind: EnumKind, value: string): string {
	const graph = toGraphValue(kind, value) as string;
	if (kind === 'severity' && graph === 'unknown') return 'UnSpecified';
	// MDE's own spelling typed verbatim is sent as typed (the update retries with the other one).
	if (kind === 'determination' && MDE_DETERMINATION_ALTERNATIVE[value]) return value;
	if (kind === 'determination' && DETERMINATION_TO_MDE[graph]) return DETERMINATION_TO_MDE[graph];
	if (kind === 'determination' && !DETERMINATION_TO_GRAPH[value.toLowerCase()]) return upperFirst(value);
	return upperFirst(graph);
}

/**
 * Graph determinations its pages spell two ways: the alert resource page (compromisedAccount,
 * notMalicious, notEnoughDataToValidate) against *Update alert* (compromisedUser, clean,
 * insufficientData); *Update incident* mixes them. Sent as the resource page spells them and,
 * refused, once more the other way.
 */
export const GRAPH_DETERMINATION_ALTERNATIVE: Record<string, string> = {
	compromisedAccount: 'compromisedUser',
	compromisedUser: 'compromisedAccount',
	notMalicious: 'clean',
	clean: 'notMalicious',
	notEnoughDataToValidate: 'insufficientData',
	insufficientData: 'notEnoughDataToValidate',
};

/** Normalises a Graph write value (accepts PascalCase or either generation). */
export function toGraphWriteValue(kind: EnumKind, value: string): string {
	const graph = toGraphValue(kind, value) as string;
	// Every Graph page (alert and incident resource, Update alert, Update incident) spells it so.
	if (kind === 'determination' && graph === 'confirmedActivity') return 'confirmedUserActivity';
	return graph;
}

function str(value: unknown): string | null {
	if (value === undefined || value === null || value === '') return null;
	return String(value);
}

function firstDeviceId(evidence: unknown): string | null {
	if (!Array.isArray(evidence)) return null;
	for (const e of evidence as IDataObject[]) {
		if (e && typeof e === 'object' && typeof e.mdeDeviceId === 'string' && e.mdeDeviceId) {
			return e.mdeDeviceId;
		}
	}
	return null;
}

/** Whether a record looks like an MDE (or XDR embedded) alert rather than a Graph alerts_v2 alert. */
function isMdeAlert(alert: IDataObject): boolean {
	return (
		'alertCreationTime' in alert ||
		'alertId' in alert ||
		('lastUpdateTime' in alert && !('lastUpdateDateTime' in alert)) ||
		'computerDnsName' in alert
	);
}

/**
 * One simplified shape for Graph alerts_v2, MDE alerts and XDR incident alerts (10 fields,
 * Graph vocabulary, `incidentId` as a string, `machineId` = the MDE device id when known).
 */
export function simplifyAlert(alert: IDataObject): IDataObject {
	const mde = isMdeAlert(alert);
	const devices = mde && Array.isArray(alert.devices) ? (alert.devices as IDataObject[]) : [];
	return {
		id: str(mde ? (alert.id ?? alert.alertId) : alert.id),
		title: str(alert.title),
		severity: toGraphValue('severity', alert.severity) ?? null,
		status: toGraphValue('status', alert.status) ?? null,
		classification: toGraphValue('classification', alert.classification) ?? null,
		assignedTo: str(alert.assignedTo),
		incidentId: str(alert.incidentId),
		machineId: mde
			? str(alert.machineId ?? devices[0]?.mdatpDeviceId ?? devices[0]?.deviceId)
			: firstDeviceId(alert.evidence),
		createdDateTime: str(mde ? (alert.alertCreationTime ?? alert.creationTime) : alert.createdDateTime),
		lastUpdateDateTime: str(mde ? (alert.lastUpdateTime ?? alert.lastUpdatedTime) : alert.lastUpdateDateTime),
	};
}

/**
 * One simplified shape for Graph and XDR incidents (10 fields; `alerts` added, simplified,
 * only when the record carries them, e.g. with Include Alerts on).
 */
export function simplifyIncident(incident: IDataObject): IDataObject {
	const xdr = 'incidentId' in incident && !('id' in incident);
	const out: IDataObject = {
		id: str(xdr ? incident.incidentId : incident.id),
		displayName: str(xdr ? incident.incidentName : incident.displayName),
		severity: toGraphValue('severity', incident.severity) ?? null,
		status: toGraphValue('status', incident.status) ?? null,
		classification: toGraphValue('classification', incident.classification) ?? null,
		determination: toGraphValue('determination', incident.determination) ?? null,
		assignedTo: str(incident.assignedTo),
		tags: (xdr ? incident.tags : incident.customTags) ?? [],
		createdDateTime: str(xdr ? incident.createdTime : incident.createdDateTime),
		lastUpdateDateTime: str(xdr ? incident.lastUpdateTime : incident.lastUpdateDateTime),
	};
	if (Array.isArray(incident.alerts)) {
		out.alerts = (incident.alerts as IDataObject[]).map((a) => simplifyAlert(a));
	}
	return out;
}

export interface HuntingColumn {
	name: string;
	type: string;
}

export interface HuntingResult {
	rows: IDataObject[];
	schema: HuntingColumn[];
	stats: IDataObject | null;
}

function pickKey(source: IDataObject, name: string): unknown {
	if (name in source) return source[name];
	const wanted = name.toLowerCase();
	const key = Object.keys(source).find((k) => k.toLowerCase() === wanted);
	return key === undefined ? undefined : source[key];
}

/**
 * Normalises MDE/XDR (`Schema`/`Results`/`Stats`, `Name`/`Type`) and Graph (`schema`/`results`,
 * `name`/`type`, sometimes `Name`/`Type`) hunting responses to `{ rows, schema, stats }`.
 * Keys are read case-insensitively; row keys are the KQL column names verbatim.
 */
export function normaliseHuntingResult(response: unknown): HuntingResult {
	const body = (response && typeof response === 'object' ? response : {}) as IDataObject;
	const rows = pickKey(body, 'results');
	const schema = pickKey(body, 'schema');
	const stats = pickKey(body, 'stats');
	return {
		rows: Array.isArray(rows) ? (rows as IDataObject[]) : [],
		schema: Array.isArray(schema)
			? (schema as IDataObject[]).map((c) => ({
					name: String(pickKey(c, 'name') ?? ''),
					type: String(pickKey(c, 'type') ?? ''),
				}))
			: [],
		stats: stats && typeof stats === 'object' ? (stats as IDataObject) : null,
	};
}
