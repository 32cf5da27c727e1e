import type { IDataObject } from 'n8n-workflow';

/**
 * Row text of the "From list" pickers. The editor shows one line per row and cuts it at the end,
 * so rows stay short and lead with what tells them apart.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Dec 7 14:03` (UTC), or undefined for a missing or unreadable time. */
export function shortTime(value: unknown): string | undefined {
	const ms = typeof value === 'string' ? Date.parse(value) : NaN;
	if (Number.isNaN(ms)) return undefined;
	const d = new Date(ms);
	const two = (n: number) => String(n).padStart(2, '0');
	return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** An API enum as the editor's option names read it: `inProgress` → `In Progress`. */
export function enumLabel(value: unknown): string | undefined {
	if (typeof value !== 'string' || value === '') return undefined;
	const words = value.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
	return words.charAt(0).toUpperCase() + words.slice(1);
}

/** At most `max` characters, an ellipsis marking a cut. */
export function clip(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** The device an alert is on: MDE alerts name it, Graph alerts carry it as device evidence. */
export function alertHost(alert: IDataObject): string | undefined {
	let dns = alert.computerDnsName;
	if (typeof dns !== 'string' && Array.isArray(alert.evidence)) {
		const device = (alert.evidence as IDataObject[]).find((e) => typeof e?.deviceDnsName === 'string' && e.deviceDnsName);
		dns = device?.deviceDnsName;
	}
	// The host name, not the FQDN: a NetBIOS name is at most 15 characters.
	return typeof dns === 'string' && dns ? clip(dns.split('.')[0], 15) : undefined;
}

const join = (parts: Array<string | undefined>) => parts.filter((p): p is string => Boolean(p)).join(' · ');

/**
 * `High · Suspicious PowerShell command line · desktop-01 · Dec 7 14:03`, the time being the last
 * update the picker sorts by (newest first). Severity leads: the editor's dropdown (about 45
 * characters wide in both n8n lines, measured by the browser suite) cuts the row's end.
 */
export function alertRow(raw: IDataObject, simple: IDataObject): string {
	return join([
		enumLabel(simple.severity),
		clip(String(simple.title ?? '') || '(no title)', 40),
		alertHost(raw),
		shortTime(simple.lastUpdateDateTime),
	]);
}

/** `#1234 · High · Active · Multi-stage incident involving…` */
export function incidentRow(simple: IDataObject): string {
	return join([
		`#${String(simple.id)}`,
		enumLabel(simple.severity) ?? 'Unknown',
		enumLabel(simple.status) ?? 'Unknown',
		clip(String(simple.displayName ?? ''), 50) || undefined,
	]);
}
