/**
 * API projections of the internal records: MDE alert, Graph alerts_v2 alert, XDR incident,
 * Graph incident, MDE machine, machine action, indicator. Pure functions; the store caches
 * the alert projections on the record (cleared on change).
 */
import { hex, mulberry32, int, pick } from './generator';
import {
	type AlertRecord,
	type Comment,
	type IncidentRecord,
	type IndicatorRecord,
	type MachineRecord,
	DETECTION_SOURCE_GRAPH,
	alertDescription,
	alertFirstEventTime,
	alertLastEventTime,
	alertStatusGraph,
	classificationGraph,
	classificationMde,
	classificationXdr,
	determinationGraph,
	determinationMde,
	determinationXdr,
	incidentStatusGraph,
	severityGraph,
} from './model';

const mdeCache = new WeakMap<AlertRecord, Record<string, unknown>>();
const mdeEvCache = new WeakMap<AlertRecord, Record<string, unknown>>();
const graphCache = new WeakMap<AlertRecord, Record<string, unknown>>();

const jsonCache = new WeakMap<object, string>();
/** JSON text of a (cached, immutable) projection object, itself cached. */
export function cachedJson(o: object): string {
	let j = jsonCache.get(o);
	if (j === undefined) {
		j = JSON.stringify(o);
		jsonCache.set(o, j);
	}
	return j;
}

/** Drop the cached projections of an alert (call after every change). */
export function invalidateAlert(a: AlertRecord): void {
	mdeCache.delete(a);
	mdeEvCache.delete(a);
	graphCache.delete(a);
}

export interface ProjectionContext {
	tenantId: string;
	machine: (id: string) => MachineRecord | undefined;
}

const FILES = [
	['powershell.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0'],
	['mimikatz.exe', 'C:\\Users\\Public\\Downloads'],
	['invoice.docm', 'C:\\Users\\alice\\Downloads'],
	['rundll32.exe', 'C:\\Windows\\System32'],
	['svchost-update.exe', 'C:\\ProgramData\\Temp'],
	['payload.ps1', 'C:\\Users\\Public'],
];

interface EvidenceSeed {
	fileName: string;
	filePath: string;
	sha1: string;
	sha256: string;
	pid: number;
	ppid: number;
	cmd: string;
	ip: string;
}

function evidenceSeed(a: AlertRecord): EvidenceSeed {
	const rng = mulberry32(a.evSeed);
	const [fileName, filePath] = pick(rng, FILES);
	return {
		fileName,
		filePath,
		sha1: hex(rng, 40),
		sha256: hex(rng, 64),
		pid: int(rng, 100, 20000),
		ppid: int(rng, 4, 20000),
		cmd: `${fileName} -enc ${hex(rng, 16)}`,
		ip: `198.51.100.${int(rng, 1, 254)}`,
	};
}

export function mdeComments(c: Comment[]) {
	return c.map((x) => ({ comment: x.comment, createdBy: x.createdBy, createdTime: x.createdTime }));
}
export function graphComments(c: Comment[]) {
	return c.map((x) => ({ comment: x.comment, createdByDisplayName: x.createdBy, createdDateTime: x.createdTime }));
}

export function mdeEvidence(a: AlertRecord) {
	const s = evidenceSeed(a);
	const base = {
		evidenceCreationTime: a.alertCreationTime,
		sha1: null as string | null,
		sha256: null as string | null,
		fileName: null as string | null,
		filePath: null as string | null,
		processId: null as number | null,
		processCommandLine: null as string | null,
		processCreationTime: null as string | null,
		parentProcessId: null as number | null,
		parentProcessCreationTime: null as string | null,
		parentProcessFileName: null as string | null,
		parentProcessFilePath: null as string | null,
		ipAddress: null as string | null,
		url: null as string | null,
		registryKey: null,
		registryHive: null,
		registryValueType: null,
		registryValue: null,
		accountName: null as string | null,
		domainName: null as string | null,
		userSid: null as string | null,
		aadUserId: null,
		userPrincipalName: null as string | null,
		detectionStatus: null as string | null,
	};
	const out: Record<string, unknown>[] = [
		{ entityType: 'File', ...base, sha1: s.sha1, sha256: s.sha256, fileName: s.fileName, filePath: s.filePath, detectionStatus: 'Detected' },
		{
			entityType: 'Process',
			...base,
			sha1: s.sha1,
			sha256: s.sha256,
			fileName: s.fileName,
			filePath: s.filePath,
			processId: s.pid,
			processCommandLine: s.cmd,
			processCreationTime: alertFirstEventTime(a),
			parentProcessId: s.ppid,
			parentProcessCreationTime: alertFirstEventTime(a),
			parentProcessFileName: 'explorer.exe',
			parentProcessFilePath: 'C:\\Windows',
			detectionStatus: 'Detected',
		},
	];
	if (a.relatedUser) {
		out.push({
			entityType: 'User',
			...base,
			accountName: a.relatedUser.userName,
			domainName: a.relatedUser.domainName,
			userSid: `S-1-5-21-${a.evSeed}`,
			userPrincipalName: `${a.relatedUser.userName}@${a.computerDnsName.split('.').slice(1).join('.')}`,
		});
	}
	if (a.category === 'CommandAndControl') out.push({ entityType: 'Ip', ...base, ipAddress: s.ip });
	return out;
}

export function toMdeAlert(a: AlertRecord, ctx: ProjectionContext, withEvidence: boolean): Record<string, unknown> {
	const cached = (withEvidence ? mdeEvCache : mdeCache).get(a);
	if (cached) return cached;
	const o: Record<string, unknown> = {
		id: a.id,
		incidentId: a.incidentId,
		investigationId: a.investigationId,
		assignedTo: a.assignedTo,
		severity: a.severity,
		status: a.status,
		classification: classificationMde(a.classification),
		determination: determinationMde(a.determination),
		investigationState: a.investigationState,
		detectionSource: a.detectionSource,
		detectorId: a.detectorId,
		category: a.category,
		threatFamilyName: a.threatFamilyName,
		threatName: a.threatName,
		title: a.title,
		description: alertDescription(a),
		alertCreationTime: a.alertCreationTime,
		firstEventTime: alertFirstEventTime(a),
		lastEventTime: alertLastEventTime(a),
		lastUpdateTime: a.lastUpdateTime,
		resolvedTime: a.resolvedTime,
		machineId: a.machineId,
		computerDnsName: a.computerDnsName,
		rbacGroupName: a.rbacGroupName,
		aadTenantId: ctx.tenantId,
		threatFamily: a.threatFamilyName,
		mitreTechniques: a.mitreTechniques,
		relatedUser: a.relatedUser,
		loggedOnUsers: a.relatedUser ? [{ accountName: a.relatedUser.userName, domainName: a.relatedUser.domainName }] : [],
		comments: mdeComments(a.comments),
		evidence: withEvidence ? mdeEvidence(a) : [],
		domains: [],
	};
	(withEvidence ? mdeEvCache : mdeCache).set(a, o);
	return o;
}

function deviceEvidence(a: AlertRecord, m: MachineRecord | undefined) {
	return {
		'@odata.type': '#microsoft.graph.security.deviceEvidence',
		createdDateTime: a.alertCreationTime,
		verdict: 'suspicious',
		remediationStatus: 'none',
		remediationStatusDetails: null,
		roles: [],
		detailedRoles: [],
		tags: [],
		firstSeenDateTime: m?.firstSeen ?? null,
		mdeDeviceId: a.machineId,
		azureAdDeviceId: m?.aadDeviceId ?? null,
		deviceDnsName: a.computerDnsName,
		hostName: a.computerDnsName.split('.')[0],
		ntDomain: null,
		dnsDomain: a.computerDnsName.split('.').slice(1).join('.'),
		osPlatform: m?.osPlatform ?? null,
		osBuild: m?.osBuild ?? null,
		version: m?.version ?? null,
		healthStatus: m ? m.healthStatus.charAt(0).toLowerCase() + m.healthStatus.slice(1) : null,
		riskScore: m ? m.riskScore.toLowerCase() : null,
		rbacGroupId: m?.rbacGroupId ?? null,
		rbacGroupName: a.rbacGroupName,
		onboardingStatus: 'onboarded',
		defenderAvStatus: m ? m.defenderAvStatus.charAt(0).toLowerCase() + m.defenderAvStatus.slice(1) : null,
		ipInterfaces: m ? [m.lastIpAddress] : [],
		loggedOnUsers: (m?.users ?? []).map((u) => ({ accountName: u.accountName, domainName: u.accountDomain })),
		vmMetadata: null,
	};
}

export function graphEvidence(a: AlertRecord, ctx: ProjectionContext) {
	const s = evidenceSeed(a);
	const common = {
		createdDateTime: a.alertCreationTime,
		verdict: 'malicious',
		remediationStatus: 'none',
		remediationStatusDetails: null,
		roles: [],
		detailedRoles: [],
		tags: [],
	};
	const fileDetails = {
		sha1: s.sha1,
		sha256: s.sha256,
		fileName: s.fileName,
		filePath: s.filePath,
		fileSize: 1024 + (a.evSeed % 100000),
		filePublisher: null,
		signer: null,
		issuer: null,
	};
	const ev: Record<string, unknown>[] = [
		deviceEvidence(a, ctx.machine(a.machineId)),
		{ '@odata.type': '#microsoft.graph.security.fileEvidence', ...common, detectionStatus: 'detected', mdeDeviceId: a.machineId, fileDetails },
		{
			'@odata.type': '#microsoft.graph.security.processEvidence',
			...common,
			processId: s.pid,
			parentProcessId: s.ppid,
			processCommandLine: s.cmd,
			processCreationDateTime: alertFirstEventTime(a),
			parentProcessCreationDateTime: alertFirstEventTime(a),
			detectionStatus: 'detected',
			mdeDeviceId: a.machineId,
			imageFile: fileDetails,
			parentProcessImageFile: { ...fileDetails, fileName: 'explorer.exe', filePath: 'C:\\Windows', sha1: null, sha256: null },
			userAccount: a.relatedUser
				? {
						accountName: a.relatedUser.userName,
						domainName: a.relatedUser.domainName,
						userSid: `S-1-5-21-${a.evSeed}`,
						azureAdUserId: null,
						userPrincipalName: null,
						displayName: a.relatedUser.userName,
					}
				: null,
		},
	];
	if (a.relatedUser) {
		ev.push({
			'@odata.type': '#microsoft.graph.security.userEvidence',
			...common,
			verdict: 'suspicious',
			userAccount: {
				accountName: a.relatedUser.userName,
				domainName: a.relatedUser.domainName,
				userSid: `S-1-5-21-${a.evSeed}`,
				azureAdUserId: null,
				userPrincipalName: `${a.relatedUser.userName}@${a.computerDnsName.split('.').slice(1).join('.')}`,
				displayName: a.relatedUser.userName,
			},
		});
	}
	if (a.category === 'CommandAndControl') {
		ev.push({ '@odata.type': '#microsoft.graph.security.ipEvidence', ...common, ipAddress: s.ip, countryLetterCode: null });
	}
	return ev;
}

const PORTAL = 'https://security.microsoft.com';

export function toGraphAlert(a: AlertRecord, ctx: ProjectionContext): Record<string, unknown> {
	const cached = graphCache.get(a);
	if (cached) return cached;
	const o: Record<string, unknown> = {
		id: a.id,
		providerAlertId: a.id,
		incidentId: String(a.incidentId),
		status: alertStatusGraph(a.status),
		severity: severityGraph(a.severity),
		classification: classificationGraph(a.classification),
		determination: determinationGraph(a.determination),
		serviceSource: 'microsoftDefenderForEndpoint',
		detectionSource: DETECTION_SOURCE_GRAPH[a.detectionSource] ?? 'microsoftDefenderForEndpoint',
		productName: 'Microsoft Defender for Endpoint',
		detectorId: a.detectorId,
		tenantId: ctx.tenantId,
		title: a.title,
		description: alertDescription(a),
		recommendedActions: 'Investigate the device and the process tree.',
		category: a.category,
		assignedTo: a.assignedTo,
		alertWebUrl: `${PORTAL}/alerts/${a.id}?tid=${ctx.tenantId}`,
		incidentWebUrl: `${PORTAL}/incidents/${a.incidentId}?tid=${ctx.tenantId}`,
		actorDisplayName: null,
		threatDisplayName: a.threatName,
		threatFamilyName: a.threatFamilyName,
		mitreTechniques: a.mitreTechniques,
		createdDateTime: a.alertCreationTime,
		lastUpdateDateTime: a.lastUpdateTime,
		resolvedDateTime: a.resolvedTime,
		firstActivityDateTime: alertFirstEventTime(a),
		lastActivityDateTime: alertLastEventTime(a),
		alertPolicyId: null,
		additionalData: {},
		systemTags: [],
		comments: graphComments(a.comments),
		evidence: graphEvidence(a, ctx),
	};
	graphCache.set(a, o);
	return o;
}

export function xdrIncidentAlert(a: AlertRecord, ctx: ProjectionContext) {
	const m = ctx.machine(a.machineId);
	const s = evidenceSeed(a);
	return {
		alertId: a.id,
		providerAlertId: a.id,
		incidentId: a.incidentId,
		serviceSource: 'MicrosoftDefenderForEndpoint',
		creationTime: a.alertCreationTime,
		lastUpdatedTime: a.lastUpdateTime,
		resolvedTime: a.resolvedTime,
		firstActivity: alertFirstEventTime(a),
		lastActivity: alertLastEventTime(a),
		title: a.title,
		description: alertDescription(a),
		category: a.category,
		status: a.status,
		severity: a.severity,
		investigationId: a.investigationId,
		investigationState: a.investigationState,
		classification: classificationXdr(a.classification),
		determination: determinationXdr(a.determination),
		detectionSource: a.detectionSource,
		detectorId: a.detectorId,
		assignedTo: a.assignedTo,
		actorName: null,
		threatFamilyName: a.threatFamilyName,
		mitreTechniques: a.mitreTechniques,
		devices: m
			? [
					{
						mdatpDeviceId: m.id,
						aadDeviceId: m.aadDeviceId,
						deviceDnsName: m.computerDnsName,
						osPlatform: m.osPlatform,
						version: m.version,
						osProcessor: m.osArchitecture === '64-bit' ? 'x64' : 'x86',
						osBuild: m.osBuild,
						healthStatus: m.healthStatus,
						riskScore: m.riskScore,
						rbacGroupName: m.rbacGroupName,
						firstSeen: m.firstSeen,
						tags: m.machineTags,
						defenderAvStatus: m.defenderAvStatus,
						onboardingStatus: m.onboardingStatus,
						vmMetadata: null,
					},
				]
			: [],
		entities: [
			{ entityType: 'File', sha1: s.sha1, sha256: s.sha256, fileName: s.fileName, filePath: s.filePath, deviceId: a.machineId },
			{
				entityType: 'Process',
				sha1: s.sha1,
				fileName: s.fileName,
				filePath: s.filePath,
				processId: s.pid,
				processCommandLine: s.cmd,
				processCreationTime: alertFirstEventTime(a),
				parentProcessId: s.ppid,
				parentProcessCreationTime: alertFirstEventTime(a),
				deviceId: a.machineId,
			},
			...(a.relatedUser
				? [{ entityType: 'User', accountName: a.relatedUser.userName, domainName: a.relatedUser.domainName, userSid: `S-1-5-21-${a.evSeed}` }]
				: []),
		],
	};
}

export function toXdrIncident(i: IncidentRecord, alerts: AlertRecord[], ctx: ProjectionContext) {
	return {
		incidentId: i.incidentId,
		incidentUri: `${PORTAL}/incidents/${i.incidentId}?tid=${ctx.tenantId}`,
		redirectIncidentId: i.redirectIncidentId,
		incidentName: i.incidentName,
		createdTime: i.createdTime,
		lastUpdateTime: i.lastUpdateTime,
		assignedTo: i.assignedTo,
		classification: classificationXdr(i.classification),
		determination: determinationXdr(i.determination),
		detectionSource: alerts[0]?.detectionSource ?? null,
		status: i.status,
		severity: i.severity,
		tags: i.tags,
		systemTags: i.systemTags,
		comments: mdeComments(i.comments),
		alerts: alerts.map((a) => xdrIncidentAlert(a, ctx)),
	};
}

export function toGraphIncident(
	i: IncidentRecord,
	ctx: ProjectionContext,
	opts: { alerts?: AlertRecord[]; includeUnknownEnum?: boolean },
) {
	const o: Record<string, unknown> = {
		id: String(i.incidentId),
		tenantId: ctx.tenantId,
		status: incidentStatusGraph(i.status, !!opts.includeUnknownEnum),
		incidentWebUrl: `${PORTAL}/incidents/${i.incidentId}?tid=${ctx.tenantId}`,
		redirectIncidentId: i.redirectIncidentId === null ? null : String(i.redirectIncidentId),
		displayName: i.incidentName,
		description: i.description,
		createdDateTime: i.createdTime,
		lastUpdateDateTime: i.lastUpdateTime,
		assignedTo: i.assignedTo,
		classification: classificationGraph(i.classification),
		determination: determinationGraph(i.determination),
		severity: severityGraph(i.severity),
		customTags: i.tags,
		systemTags: i.systemTags,
		summary: null,
		resolvingComment: null,
		lastModifiedBy: null,
		comments: graphComments(i.comments),
	};
	if (opts.alerts) o.alerts = opts.alerts.map((a) => toGraphAlert(a, ctx));
	return o;
}

export function toMdeMachine(m: MachineRecord, extra: { isolated: boolean; offboarded: boolean }) {
	return {
		id: m.id,
		computerDnsName: m.computerDnsName,
		firstSeen: m.firstSeen,
		lastSeen: m.lastSeen,
		osPlatform: m.osPlatform,
		version: m.version,
		osProcessor: m.osArchitecture === '64-bit' ? 'x64' : 'x86',
		osBuild: m.osBuild,
		osArchitecture: m.osArchitecture,
		lastIpAddress: m.lastIpAddress,
		lastExternalIpAddress: m.lastExternalIpAddress,
		healthStatus: extra.offboarded ? 'Inactive' : m.healthStatus,
		onboardingStatus: extra.offboarded ? 'Offboarded' : m.onboardingStatus,
		rbacGroupId: m.rbacGroupId,
		rbacGroupName: m.rbacGroupName,
		riskScore: m.riskScore,
		exposureLevel: m.exposureLevel,
		deviceValue: m.deviceValue,
		isAadJoined: m.isAadJoined,
		aadDeviceId: m.aadDeviceId,
		defenderAvStatus: m.defenderAvStatus,
		machineTags: m.machineTags,
		managedBy: 'MicrosoftDefenderForEndpoint',
		isExcluded: false,
		ipAddresses: [{ ipAddress: m.lastIpAddress, macAddress: m.macAddress, type: 'Ethernet', operationalStatus: 'Up' }],
	};
}

export function toMdeIndicator(i: IndicatorRecord) {
	return { ...i };
}
