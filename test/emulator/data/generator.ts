/**
 * Seeded, deterministic data generator. Everything derives from a mulberry32 PRNG so a given
 * seed always yields the same tenant. Generation is linear and allocation-light: 100,000 alerts
 * take well under a second (see data.test.ts); projections are derived lazily by the store.
 */
import {
	type AlertRecord,
	type Comment,
	type IncidentRecord,
	type LoggedOnUser,
	type MachineRecord,
	type SoftwareRecord,
	type VulnerabilityRecord,
	iso7,
} from './model';

export type Rng = () => number;

/** Seeded PRNG (xorshift32 over a splitmix-scrambled seed): fast and deterministic. */
export function mulberry32(seed: number): Rng {
	let a = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 0x9e3779b9;
	a ^= a >>> 13;
	a = Math.imul(a, 0xc2b2ae35) >>> 0 || 1;
	return () => {
		a ^= a << 13;
		a ^= a >>> 17;
		a ^= a << 5;
		return (a >>> 0) / 4294967296;
	};
}

export const pick = <T>(rng: Rng, arr: readonly T[]): T => arr[Math.floor(rng() * arr.length)];
export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

/** Weighted pick: weights parallel to values. */
export function wpick<T>(rng: Rng, values: readonly T[], weights: readonly number[]): T {
	let total = 0;
	for (const w of weights) total += w;
	let r = rng() * total;
	for (let i = 0; i < values.length; i++) {
		r -= weights[i];
		if (r < 0) return values[i];
	}
	return values[values.length - 1];
}

const HEX = '0123456789abcdef';
export function hex(rng: Rng, n: number): string {
	let s = '';
	while (s.length < n) s += ((rng() * 4294967296) >>> 0).toString(16).padStart(8, '0');
	return s.length === n ? s : s.slice(0, n);
}
export function guid(rng: Rng): string {
	const h = hex(rng, 32);
	const v = HEX[8 + ((rng() * 4) | 0)];
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** MDE alert id: `da` + .NET ticks of the creation time + `_` + a signed 32-bit number. */
export function mdeAlertId(createdMs: number, sub: number, rng: Rng): string {
	// ticks = 621355968000000000 + ms*10000 + sub, done in two decimal halves (exceeds 2^53).
	const ms = Math.floor(createdMs);
	const msHi = Math.floor(ms / 1e6);
	let lo = (ms - msHi * 1e6) * 1e4 + sub + 8e9;
	const carry = Math.floor(lo / 1e10);
	lo -= carry * 1e10;
	const hi = msHi + 62135596 + carry;
	const n = (rng() * 4294967296) | 0;
	return ['da', hi, String(lo).padStart(10, '0'), '_', n].join('');
}

// ---------------------------------------------------------------- vocab

export const OS_PLATFORMS = ['Windows10', 'Windows11', 'WindowsServer2019', 'WindowsServer2022', 'Linux', 'macOS'];
const OS_WEIGHTS = [30, 35, 10, 8, 10, 7];
const OS_VERSION: Record<string, [string, number]> = {
	Windows10: ['22H2', 19045],
	Windows11: ['23H2', 22631],
	WindowsServer2019: ['1809', 17763],
	WindowsServer2022: ['21H2', 20348],
	Linux: ['22.04', 0],
	macOS: ['14.5', 0],
};
export const HEALTH = ['Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData', 'NoSensorDataImpairedCommunication'];
const HEALTH_W = [80, 8, 5, 4, 3];
const RISK = ['None', 'Informational', 'Low', 'Medium', 'High'];
const RISK_W = [30, 15, 25, 20, 10];
const EXPOSURE = ['None', 'Low', 'Medium', 'High'];
const EXPOSURE_W = [10, 40, 35, 15];
const DEVICE_VALUE = ['Normal', 'Low', 'High'];
const DV_W = [80, 5, 15];
const RBAC_GROUPS: [number, string][] = [
	[101, 'Workstations'],
	[102, 'Servers'],
	[103, 'Finance'],
	[104, 'UnassignedGroup'],
];
const TAGS = ['VIP', 'Finance', 'PCI', 'Lab', 'Kiosk', 'Remote', 'Tier0'];
const HOST_PREFIX = ['desktop', 'laptop', 'srv', 'ws', 'build', 'kiosk', 'dc'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];

const ALERT_TEMPLATES: { title: string; category: string; mitre: string[]; source: string; threat?: string }[] = [
	{ title: 'Suspicious PowerShell command line', category: 'Execution', mitre: ['T1059.001'], source: 'WindowsDefenderAtp' },
	{ title: "'Mimikatz' credential theft tool", category: 'CredentialAccess', mitre: ['T1003'], source: 'WindowsDefenderAv', threat: 'Mimikatz' },
	{ title: 'Ransomware behavior detected in the file system', category: 'Ransomware', mitre: ['T1486'], source: 'WindowsDefenderAtp' },
	{ title: "'Emotet' malware was detected", category: 'Malware', mitre: ['T1204'], source: 'WindowsDefenderAv', threat: 'Emotet' },
	{ title: 'Suspicious connection to a known C2 domain', category: 'CommandAndControl', mitre: ['T1071'], source: 'CustomerTI' },
	{ title: 'Process injection detected', category: 'DefenseEvasion', mitre: ['T1055'], source: 'WindowsDefenderAtp' },
	{ title: 'Suspicious scheduled task created', category: 'Persistence', mitre: ['T1053.005'], source: 'WindowsDefenderAtp' },
	{ title: 'Anomalous account lookups', category: 'Discovery', mitre: ['T1087'], source: 'WindowsDefenderAtp' },
	{ title: 'Custom detection: rare admin tool', category: 'SuspiciousActivity', mitre: ['T1072'], source: 'CustomDetection' },
	{ title: 'Automated investigation started manually', category: 'SuspiciousActivity', mitre: [], source: 'AutomatedInvestigation' },
	{ title: 'Unwanted software detected', category: 'UnwantedSoftware', mitre: [], source: 'WindowsDefenderAv', threat: 'PUA:Win32/Presenoker' },
	{ title: 'Suspicious file dropped by browser', category: 'InitialAccess', mitre: ['T1189'], source: 'WindowsDefenderSmartScreen' },
];
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
const SEV_W = [15, 35, 35, 15];
const INV_STATES = ['Queued', 'Running', 'PendingApproval', 'SuccessfullyRemediated', 'Benign', 'UnsupportedAlertType', 'Terminated'];

export interface MachineSeedOpts {
	domain: string;
	startMs: number;
	endMs: number;
}

export function genMachine(rng: Rng, seq: number, o: MachineSeedOpts): MachineRecord {
	const os = wpick(rng, OS_PLATFORMS, OS_WEIGHTS);
	const [version, build] = OS_VERSION[os];
	const [rbacGroupId, rbacGroupName] = pick(rng, RBAC_GROUPS);
	const host = `${pick(rng, HOST_PREFIX)}-${hex(rng, 6)}`;
	const firstSeenMs = o.startMs - int(rng, 1, 400) * 86400000;
	const lastSeenMs = o.endMs - int(rng, 0, 36 * 3600) * 1000;
	const tags: string[] = [];
	if (rng() < 0.3) tags.push(pick(rng, TAGS));
	if (rng() < 0.1) tags.push(pick(rng, TAGS));
	const users: LoggedOnUser[] = [];
	const nUsers = int(rng, 1, 3);
	for (let i = 0; i < nUsers; i++) {
		const u = pick(rng, USERS);
		if (users.some((x) => x.accountName === u)) continue;
		users.push({
			accountName: u,
			accountDomain: o.domain.split('.')[0].toUpperCase(),
			accountSid: `S-1-5-21-${int(rng, 1e8, 9e8)}-${int(rng, 1e8, 9e8)}-${int(rng, 1e8, 9e8)}-${int(rng, 1000, 9999)}`,
			firstSeen: iso7(firstSeenMs + int(rng, 0, 86400) * 1000),
			lastSeen: iso7(lastSeenMs - int(rng, 0, 86400) * 1000),
			logonTypes: pick(rng, ['Interactive', 'RemoteInteractive', 'Network', 'Interactive, Network']),
			isDomainAdmin: rng() < 0.1,
		});
	}
	const isWin = os.startsWith('Windows');
	return {
		seq,
		id: hex(rng, 40),
		computerDnsName: `${host}.${o.domain}`,
		firstSeen: iso7(firstSeenMs, int(rng, 0, 9999)),
		lastSeen: iso7(lastSeenMs, int(rng, 0, 9999)),
		osPlatform: os,
		version,
		osBuild: build || null,
		osArchitecture: rng() < 0.95 ? '64-bit' : '32-bit',
		lastIpAddress: `10.${int(rng, 0, 20)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`,
		lastExternalIpAddress: `203.0.113.${int(rng, 1, 254)}`,
		healthStatus: wpick(rng, HEALTH, HEALTH_W),
		onboardingStatus: 'Onboarded',
		rbacGroupId,
		rbacGroupName,
		riskScore: wpick(rng, RISK, RISK_W),
		exposureLevel: wpick(rng, EXPOSURE, EXPOSURE_W),
		deviceValue: wpick(rng, DEVICE_VALUE, DV_W),
		isAadJoined: isWin && rng() < 0.7,
		aadDeviceId: isWin ? guid(rng) : null,
		machineTags: tags,
		defenderAvStatus: isWin ? pick(rng, ['Updated', 'Updated', 'Updated', 'NotUpdated']) : 'NotSupported',
		macAddress: hex(rng, 12).toUpperCase(),
		users,
		softwareIdx: [],
	};
}

const detectorIds = new Map<string, string>();
function templateDetector(title: string): string {
	let d = detectorIds.get(title);
	if (!d) {
		d = guid(mulberry32(title.length * 7919 + title.charCodeAt(0) * 31 + title.charCodeAt(title.length - 1)));
		detectorIds.set(title, d);
	}
	return d;
}

/** Shared empty comment list; the store replaces it (copy on write) when a comment is added. */
const NO_COMMENTS: Comment[] = [];

export interface AlertSeedOpts {
	createdMs: number;
	/** Latest allowed update time (ms). */
	maxMs: number;
	incidentId: number;
	machine: MachineRecord;
	/** Probability that the alert was updated after creation. */
	updatedRatio?: number;
}

export function genAlert(rng: Rng, seq: number, o: AlertSeedOpts): AlertRecord {
	const t = pick(rng, ALERT_TEMPLATES);
	const sub = (rng() * 10000) | 0;
	const created = iso7(o.createdMs, sub);
	const firstEventMs = o.createdMs - int(rng, 1, 600) * 1000;
	let updMs = o.createdMs + int(rng, 0, 5000);
	let status = 'New';
	let resolved: string | null = null;
	let classification: string | null = null;
	let determination: string | null = null;
	let assignedTo: string | null = null;
	if (rng() < (o.updatedRatio ?? 0.4)) {
		updMs = Math.min(o.maxMs, o.createdMs + int(rng, 60, 5 * 86400) * 1000);
		const r = rng();
		if (r < 0.4) {
			status = 'Resolved';
			resolved = iso7(updMs);
			classification = pick(rng, ['truePositive', 'falsePositive', 'informationalExpectedActivity']);
			determination =
				classification === 'truePositive'
					? pick(rng, ['malware', 'multiStagedAttack', 'compromisedAccount', 'phishing'])
					: classification === 'falsePositive'
						? pick(rng, ['notMalicious', 'notEnoughDataToValidate'])
						: pick(rng, ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity']);
		} else {
			status = 'InProgress';
		}
		if (rng() < 0.6) assignedTo = `${pick(rng, USERS)}@${o.machine.computerDnsName.split('.').slice(1).join('.')}`;
	}
	if (updMs < o.createdMs) updMs = o.createdMs;
	const user = o.machine.users[0];
	return {
		seq,
		id: mdeAlertId(o.createdMs, sub, rng),
		incidentId: o.incidentId,
		investigationId: rng() < 0.5 ? int(rng, 1000, 999999) : null,
		investigationState: pick(rng, INV_STATES),
		assignedTo,
		severity: wpick(rng, SEVERITIES, SEV_W),
		status,
		classification,
		determination,
		detectionSource: t.source,
		category: t.category,
		title: t.title,
		description: null,
		threatFamilyName: t.threat ?? null,
		threatName: t.threat ?? null,
		detectorId: templateDetector(t.title),
		mitreTechniques: t.mitre,
		alertCreationTime: created,
		firstEventMs,
		lastEventMs: o.createdMs - int(rng, 0, 60) * 1000,
		lastUpdateTime: updMs === o.createdMs ? created : iso7(updMs, (rng() * 10000) | 0),
		resolvedTime: resolved,
		machineId: o.machine.id,
		computerDnsName: o.machine.computerDnsName,
		rbacGroupName: o.machine.rbacGroupName,
		relatedUser: user ? (user.ref ??= { userName: user.accountName, domainName: user.accountDomain }) : null,
		comments: NO_COMMENTS,
		evSeed: (rng() * 2147483647) | 0,
	};
}

export function genIncident(rng: Rng, seq: number, incidentId: number, createdMs: number): IncidentRecord {
	const created = iso7(createdMs, (rng() * 10000) | 0);
	return {
		seq,
		incidentId,
		incidentName: 'Incident',
		description: '',
		createdTime: created,
		lastUpdateTime: created,
		assignedTo: null,
		classification: null,
		determination: null,
		status: 'Active',
		severity: 'Low',
		tags: [],
		systemTags: [],
		comments: [],
		redirectIncidentId: null,
		alertIds: [],
	};
}

/** Incident fields derived from its alerts (name, severity, status), done once after generation. */
const SEV_ORDER = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'];
export function deriveIncidentFromAlerts(inc: IncidentRecord, alerts: AlertRecord[]): void {
	if (!alerts.length) return;
	const order = SEV_ORDER;
	let sev = 0;
	let allResolved = true;
	let anyProgress = false;
	let upd = inc.lastUpdateTime;
	for (const a of alerts) {
		sev = Math.max(sev, order.indexOf(a.severity));
		if (a.status !== 'Resolved') allResolved = false;
		if (a.status === 'InProgress') anyProgress = true;
		if (a.lastUpdateTime > upd) upd = a.lastUpdateTime;
	}
	inc.severity = order[sev];
	inc.status = allResolved ? 'Resolved' : anyProgress ? 'InProgress' : 'Active';
	inc.lastUpdateTime = upd;
	const first = alerts[0];
	inc.incidentName =
		alerts.length > 1
			? `Multi-stage incident involving ${first.category} on one endpoint`
			: `${first.title} on one endpoint`;
	inc.description = `${alerts.length} alert(s) on ${first.computerDnsName}`;
	if (allResolved) {
		inc.classification = first.classification;
		inc.determination = first.determination;
	}
	inc.assignedTo = first.assignedTo;
}

// ---------------------------------------------------------------- TVM

const SOFTWARE: [string, string][] = [
	['microsoft', 'edge'],
	['google', 'chrome'],
	['mozilla', 'firefox'],
	['microsoft', 'office'],
	['adobe', 'acrobat_reader'],
	['oracle', 'jre'],
	['7-zip', '7-zip'],
	['openssl', 'openssl'],
	['microsoft', 'windows_10'],
	['microsoft', 'windows_11'],
	['apple', 'macos'],
	['canonical', 'ubuntu_linux'],
	['zoom', 'zoom'],
	['notepad-plus-plus', 'notepad++'],
	['putty', 'putty'],
	['vmware', 'tools'],
	['python', 'python'],
	['nodejs', 'node.js'],
	['git', 'git'],
	['winrar', 'winrar'],
];

export function genVulnerabilities(rng: Rng, n: number, endMs: number): VulnerabilityRecord[] {
	const out: VulnerabilityRecord[] = [];
	for (let i = 0; i < n; i++) {
		const year = 2019 + (i % 8);
		const cvss = Math.round((2 + rng() * 8) * 10) / 10;
		const severity = cvss >= 9 ? 'Critical' : cvss >= 7 ? 'High' : cvss >= 4 ? 'Medium' : 'Low';
		const pub = endMs - int(rng, 10, 2000) * 86400000;
		const exploit = rng() < 0.2;
		const id = `CVE-${year}-${String(10000 + i * 7 + int(rng, 0, 6)).padStart(5, '0')}`;
		out.push({
			id,
			name: id,
			description: `Summary of ${id}: a ${severity.toLowerCase()} severity vulnerability.`,
			severity,
			cvssV3: cvss,
			cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C',
			exposedMachines: 0,
			publishedOn: iso7(pub),
			updatedOn: iso7(pub + int(rng, 0, 60) * 86400000),
			firstDetected: iso7(pub + int(rng, 1, 30) * 86400000),
			publicExploit: exploit,
			exploitVerified: exploit && rng() < 0.5,
			exploitInKit: exploit && rng() < 0.2,
			exploitTypes: exploit ? ['PrivilegeEscalation'] : [],
			exploitUris: exploit ? [`https://exploit-db.example/${id}`] : [],
			CveSupportability: pick(rng, ['Supported', 'Supported', 'NotSupported', 'SupportedInPremium']),
			EPSS: Math.round(rng() * 1000) / 1000,
		});
	}
	return out;
}

export function genSoftware(rng: Rng, nVulns: number): SoftwareRecord[] {
	return SOFTWARE.map(([vendor, product], i) => {
		const vulnIdx: number[] = [];
		if (nVulns > 0) {
			const k = int(rng, 0, Math.min(8, nVulns));
			for (let j = 0; j < k; j++) {
				const v = int(rng, 0, nVulns - 1);
				if (!vulnIdx.includes(v)) vulnIdx.push(v);
			}
		}
		return {
			id: `${vendor}-_-${product}`,
			name: product,
			vendor,
			version: `${int(rng, 1, 120)}.${int(rng, 0, 9)}.${int(rng, 0, 999)}`,
			weaknesses: vulnIdx.length,
			publicExploit: false,
			activeAlert: i % 7 === 0,
			exposedMachines: 0,
			impactScore: Math.round(rng() * 100) / 10,
			vulnIdx,
		};
	});
}

export { USERS, ALERT_TEMPLATES, SEVERITIES, SEV_W, HOST_PREFIX };
