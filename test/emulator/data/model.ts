/**
 * Entity model of the emulated Defender tenant, shared by the store, the generator and the
 * route handlers. Records hold one internal representation; the API projections
 * (MDE, XDR, Graph) are derived from it (see projections.ts).
 *
 * Times are stored as canonical ISO strings with exactly 7 fractional digits and a 'Z'
 * (`2026-11-22T20:33:57.7220239Z`): lexicographic order == chronological order, so filters,
 * sorting and binary searches work on plain string comparison.
 */

// ---------------------------------------------------------------- time

const ISO_RE =
	/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const dayPrefix = new Map<number, string>();

/** Canonical 7-digit ISO string for an epoch-ms value, with optional sub-millisecond ticks (0..9999). */
export function iso7(ms: number, subTicks = 0): string {
	const whole = Math.floor(ms);
	const day = Math.floor(whole / 86400000);
	let prefix = dayPrefix.get(day);
	if (prefix === undefined) {
		prefix = new Date(day * 86400000).toISOString().slice(0, 11);
		if (dayPrefix.size > 20000) dayPrefix.clear();
		dayPrefix.set(day, prefix);
	}
	let rem = whole - day * 86400000;
	const msPart = rem % 1000;
	rem = (rem - msPart) / 1000;
	const sec = rem % 60;
	rem = (rem - sec) / 60;
	const min = rem % 60;
	const hour = (rem - min) / 60;
	const frac = String(msPart * 10000 + (subTicks | 0)).padStart(7, '0');
	// join() yields a flat string (a template literal would keep a rope of ~10 nodes alive per timestamp)
	return [prefix, PAD2[hour], ':', PAD2[min], ':', PAD2[sec], '.', frac, 'Z'].join('');
}

/**
 * Parse an ISO-8601 date/datetime the way Microsoft is lenient about it (no fraction, up to 9
 * fraction digits, Z or offset, date only) into the canonical 7-digit form. Undefined when not a date.
 */
export function canonTime(s: string): string | undefined {
	const m = ISO_RE.exec(s.trim());
	if (!m) return undefined;
	const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', tz = 'Z'] = m;
	let base = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec);
	if (Number.isNaN(base)) return undefined;
	if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +sec > 60) return undefined;
	if (tz !== 'Z' && tz !== 'z') {
		const sign = tz[0] === '-' ? -1 : 1;
		const digits = tz.slice(1).replace(':', '');
		base -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60000;
	}
	const f7 = (frac + '0000000').slice(0, 7);
	return `${new Date(base).toISOString().slice(0, 19)}.${f7}Z`;
}

/** Epoch ms of a canonical (or any ISO) time string. */
export function timeMs(s: string): number {
	return Date.parse(s.length > 24 ? s.slice(0, 23) + 'Z' : s);
}

/** Accepts an ISO string or epoch ms; returns the canonical string. Throws on garbage. */
export function toCanon(at: string | number | Date | undefined, fallbackMs: number): string {
	if (at === undefined || at === null) return iso7(fallbackMs);
	if (typeof at === 'number') return iso7(at);
	if (at instanceof Date) return iso7(at.getTime());
	const c = canonTime(at);
	if (!c) throw new Error(`Not an ISO 8601 time: ${at}`);
	return c;
}

// ---------------------------------------------------------------- enums

export const MDE_SEVERITIES = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'] as const;
export const MDE_ALERT_STATUSES = ['Unknown', 'New', 'InProgress', 'Resolved'] as const;
export const XDR_INCIDENT_STATUSES = ['Active', 'InProgress', 'Resolved', 'Redirected', 'AwaitingAction'] as const;

/** Internal classification keys (Graph wire names). null = unset. */
export const CLASSIFICATIONS = ['truePositive', 'falsePositive', 'informationalExpectedActivity'] as const;

/** Internal determination keys (Graph v1.0 wire names). null = unset. */
export const DETERMINATIONS = [
	'multiStagedAttack',
	'maliciousUserActivity',
	'compromisedAccount',
	'malware',
	'phishing',
	'unwantedSoftware',
	'securityTesting',
	'lineOfBusinessApplication',
	'confirmedActivity',
	'notMalicious',
	'notEnoughDataToValidate',
	'other',
	'apt',
	'securityPersonnel',
] as const;

/** Every spelling seen on any page → internal key. Looked up lower-cased. */
const DETERMINATION_ALIASES: Record<string, string> = {
	compromiseduser: 'compromisedAccount',
	compromisedaccount: 'compromisedAccount',
	clean: 'notMalicious',
	notmalicious: 'notMalicious',
	insufficientdata: 'notEnoughDataToValidate',
	noenoughdatatovalidate: 'notEnoughDataToValidate',
	notenoughdatatovalidate: 'notEnoughDataToValidate',
	confirmeduseractivity: 'confirmedActivity',
	confirmedactivity: 'confirmedActivity',
};
for (const d of DETERMINATIONS) DETERMINATION_ALIASES[d.toLowerCase()] ??= d;

export function parseDetermination(v: string): string | null | undefined {
	const k = v.toLowerCase();
	if (k === 'notavailable' || k === 'unknown') return null;
	return DETERMINATION_ALIASES[k];
}
export function parseClassification(v: string): string | null | undefined {
	const k = v.toLowerCase();
	if (k === 'unknown') return null;
	return CLASSIFICATIONS.find((c) => c.toLowerCase() === k);
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** MDE alert names (alerts.md). */
export function determinationMde(d: string | null): string | null {
	if (d === null) return null;
	const map: Record<string, string> = {
		compromisedAccount: 'CompromisedUser',
		notMalicious: 'Clean',
		notEnoughDataToValidate: 'InsufficientData',
		confirmedActivity: 'ConfirmedUserActivity',
	};
	return map[d] ?? pascal(d);
}
/** XDR incident names (api-update-incidents.md); unset = NotAvailable. */
export function determinationXdr(d: string | null): string {
	if (d === null) return 'NotAvailable';
	const map: Record<string, string> = {
		compromisedAccount: 'CompromisedAccount',
		notMalicious: 'Clean',
		notEnoughDataToValidate: 'NoEnoughDataToValidate',
		confirmedActivity: 'ConfirmedActivity',
	};
	return map[d] ?? pascal(d);
}
export const determinationGraph = (d: string | null): string => d ?? 'unknown';
export const classificationMde = (c: string | null): string | null => (c === null ? null : pascal(c));
export const classificationXdr = (c: string | null): string => (c === null ? 'Unknown' : pascal(c));
export const classificationGraph = (c: string | null): string => c ?? 'unknown';

export function severityGraph(s: string): string {
	return s === 'UnSpecified' ? 'unknown' : s.toLowerCase();
}
export function parseSeverity(v: string): string | undefined {
	const k = v.toLowerCase();
	if (k === 'unknown' || k === 'unspecified') return 'UnSpecified';
	return MDE_SEVERITIES.find((s) => s.toLowerCase() === k);
}
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
export const alertStatusGraph = (s: string): string => (s === 'Unknown' ? 'unknown' : lowerFirst(s));
export function parseAlertStatus(v: string): string | undefined {
	const k = v.toLowerCase();
	return (['New', 'InProgress', 'Resolved'] as string[]).find((s) => s.toLowerCase() === k);
}
export function parseIncidentStatus(v: string): string | undefined {
	const k = v.toLowerCase();
	return (XDR_INCIDENT_STATUSES as readonly string[]).find((s) => s.toLowerCase() === k);
}
/** Graph incident status; awaitingAction only with `Prefer: include-unknown-enum-members`. */
export function incidentStatusGraph(s: string, includeUnknownEnum: boolean): string {
	if (s === 'AwaitingAction') return includeUnknownEnum ? 'awaitingAction' : 'unknownFutureValue';
	return lowerFirst(s);
}

/** MDE detectionSource → Graph alerts_v2 detectionSource. */
export const DETECTION_SOURCE_GRAPH: Record<string, string> = {
	WindowsDefenderAv: 'antivirus',
	WindowsDefenderAtp: 'microsoftDefenderForEndpoint',
	AutomatedInvestigation: 'automatedInvestigation',
	CustomerTI: 'customTi',
	CustomDetection: 'customDetection',
	WindowsDefenderSmartScreen: 'smartScreen',
	Manual: 'manual',
};

// ---------------------------------------------------------------- records

export interface Comment {
	comment: string;
	createdBy: string;
	createdTime: string;
}

export interface AlertRecord {
	/** Insertion order; the default (stable) list order. */
	seq: number;
	id: string;
	incidentId: number;
	investigationId: number | null;
	investigationState: string | null;
	assignedTo: string | null;
	/** MDE names: UnSpecified, Informational, Low, Medium, High. */
	severity: string;
	/** MDE names: New, InProgress, Resolved (Unknown possible). */
	status: string;
	classification: string | null;
	determination: string | null;
	/** MDE names (WindowsDefenderAtp, ...). */
	detectionSource: string;
	category: string;
	title: string;
	/** null = derived (`<title> on <computerDnsName>.`). */
	description: string | null;
	threatFamilyName: string | null;
	threatName: string | null;
	detectorId: string;
	mitreTechniques: string[];
	alertCreationTime: string;
	/** Event times as epoch ms (rendered lazily, see firstEventTime()/lastEventTime()). */
	firstEventMs: number;
	lastEventMs: number;
	lastUpdateTime: string;
	resolvedTime: string | null;
	machineId: string;
	computerDnsName: string;
	rbacGroupName: string;
	relatedUser: { userName: string; domainName: string } | null;
	comments: Comment[];
	/** Seed for lazily generated evidence. */
	evSeed: number;
}

export const alertFirstEventTime = (a: AlertRecord): string => iso7(a.firstEventMs, a.evSeed % 10000);
export const alertLastEventTime = (a: AlertRecord): string => iso7(a.lastEventMs, (a.evSeed >>> 7) % 10000);
export const alertDescription = (a: AlertRecord): string => a.description ?? `${a.title} on ${a.computerDnsName}.`;

export interface IncidentRecord {
	seq: number;
	incidentId: number;
	incidentName: string;
	description: string;
	createdTime: string;
	lastUpdateTime: string;
	assignedTo: string | null;
	classification: string | null;
	determination: string | null;
	/** XDR names: Active, InProgress, Resolved, Redirected, AwaitingAction. */
	status: string;
	severity: string;
	tags: string[];
	systemTags: string[];
	comments: Comment[];
	redirectIncidentId: number | null;
	alertIds: string[];
}

export interface LoggedOnUser {
	accountName: string;
	accountDomain: string;
	accountSid: string;
	firstSeen: string;
	lastSeen: string;
	logonTypes: string;
	isDomainAdmin: boolean;
	/** Shared relatedUser object for alerts on this machine. */
	ref?: { userName: string; domainName: string };
}

export interface MachineRecord {
	seq: number;
	id: string;
	computerDnsName: string;
	firstSeen: string;
	lastSeen: string;
	osPlatform: string;
	version: string;
	osBuild: number | null;
	osArchitecture: string;
	lastIpAddress: string;
	lastExternalIpAddress: string;
	healthStatus: string;
	onboardingStatus: string;
	rbacGroupId: number;
	rbacGroupName: string;
	riskScore: string;
	exposureLevel: string;
	deviceValue: string;
	isAadJoined: boolean;
	aadDeviceId: string | null;
	machineTags: string[];
	defenderAvStatus: string;
	macAddress: string;
	users: LoggedOnUser[];
	/** Indexes into the store's software list. */
	softwareIdx: number[];
}

export type ActionStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
export const FINAL_ACTION_STATUSES: ActionStatus[] = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];

export interface ActionTiming {
	pendingMs: number;
	inProgressMs: number;
	outcome?: 'Succeeded' | 'Failed' | 'TimeOut';
}

export interface MachineActionRecord {
	seq: number;
	id: string;
	type: string;
	scope: string | null;
	requestor: string;
	requestorComment: string;
	requestSource: string;
	externalID: string | null;
	machineId: string;
	computerDnsName: string;
	title: string;
	createdMs: number;
	timing: Required<ActionTiming>;
	relatedFileInfo: { fileIdentifier: string; fileIdentifierType: string } | null;
	cancel: { ms: number; requestor: string; comment: string } | null;
	/** duplicateActionBehaviour 'stuckPending': Pending until an action of this type succeeds (P-4). */
	stuckUntilOpposite?: string;
}

export interface IndicatorRecord {
	id: string;
	indicatorValue: string;
	indicatorType: string;
	action: string;
	title: string;
	description: string;
	application: string | null;
	expirationTime: string | null;
	severity: string;
	recommendedActions: string | null;
	rbacGroupNames: string[];
	rbacGroupIds: number[];
	generateAlert: boolean;
	educateUrl: string | null;
	createdBy: string;
	createdByDisplayName: string;
	createdBySource: string;
	creationTimeDateTimeUtc: string;
	lastUpdateTime: string;
	lastUpdatedBy: string;
	sourceType: string;
	source: string;
	externalID: string | null;
}

export interface VulnerabilityRecord {
	id: string;
	name: string;
	description: string;
	severity: string;
	cvssV3: number;
	cvssVector: string;
	exposedMachines: number;
	publishedOn: string;
	updatedOn: string;
	firstDetected: string;
	publicExploit: boolean;
	exploitVerified: boolean;
	exploitInKit: boolean;
	exploitTypes: string[];
	exploitUris: string[];
	CveSupportability: string;
	EPSS: number;
}

export interface SoftwareRecord {
	id: string;
	name: string;
	vendor: string;
	version: string;
	weaknesses: number;
	publicExploit: boolean;
	activeAlert: boolean;
	exposedMachines: number;
	impactScore: number;
	/** Indexes into the store's vulnerability list. */
	vulnIdx: number[];
}
