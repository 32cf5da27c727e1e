import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * Input validators. Values are checked before any HTTP request, so a typo never reaches
 * Microsoft (or an OData filter). Every check is a pure function; `validateValue` turns a
 * failed check into a NodeOperationError that names the parameter and the item.
 */

const HEX = /^[0-9a-fA-F]+$/;

function isHex(value: string, length: number): boolean {
	return value.length === length && HEX.test(value);
}

/** MDE device id: 40 hex characters. */
export function isMachineId(value: string): boolean {
	return isHex(value, 40);
}

export function isSha1(value: string): boolean {
	return isHex(value, 40);
}

export function isSha256(value: string): boolean {
	return isHex(value, 64);
}

export function isMd5(value: string): boolean {
	return isHex(value, 32);
}

/** A GUID in its usual 8-4-4-4-12 form, without braces. */
export function isGuid(value: string): boolean {
	return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value);
}

/** Dotted-quad IPv4 without leading zeros (which some parsers read as octal). */
export function isIPv4(value: string): boolean {
	const parts = value.split('.');
	if (parts.length !== 4) return false;
	return parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

/** IPv6 text form (RFC 4291 §2.2), including `::` compression and an embedded IPv4 tail. No zone id. */
export function isIPv6(value: string): boolean {
	if (value.length < 2 || value.length > 45) return false;
	const doubleColon = value.indexOf('::');
	if (doubleColon !== -1 && value.indexOf('::', doubleColon + 1) !== -1) return false;

	const parseGroups = (text: string, allowIPv4Tail: boolean): number | undefined => {
		if (text === '') return 0;
		const groups = text.split(':');
		let count = 0;
		for (let index = 0; index < groups.length; index++) {
			const group = groups[index];
			if (allowIPv4Tail && index === groups.length - 1 && group.includes('.')) {
				if (!isIPv4(group)) return undefined;
				count += 2;
				continue;
			}
			if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
			count += 1;
		}
		return count;
	};

	if (doubleColon === -1) {
		return parseGroups(value, true) === 8;
	}
	const head = value.slice(0, doubleColon);
	const tail = value.slice(doubleColon + 2);
	const headCount = parseGroups(head, false);
	const tailCount = parseGroups(tail, true);
	if (headCount === undefined || tailCount === undefined) return false;
	return headCount + tailCount <= 7;
}

export function isIpAddress(value: string): boolean {
	return isIPv4(value) || isIPv6(value);
}

/**
 * A device (computer) name as MDE shows it in `computerDnsName`: a NetBIOS name or an FQDN.
 * Kept lenient on purpose (names in real fleets hold underscores, apostrophes, and so on):
 * 1–255 characters, no whitespace, no control characters, no slashes, backslashes, '?' or '#',
 * and not only dots (each would change a URL path). Values are always escaped or URL-encoded where they are used.
 */
export function isDeviceName(value: string): boolean {
	if (value.length < 1 || value.length > 255) return false;
	if (/[\s/\\?#]/.test(value)) return false;
	// '.' and '..' are path steps, not names: /api/machines/.. would be GET /api/.
	if (/^\.+$/.test(value)) return false;
	return !hasControlCharacter(value);
}

/** A DNS domain name (for indicators): labels of letters, digits and hyphens, at least two labels. */
export function isDomainName(value: string): boolean {
	const name = value.endsWith('.') ? value.slice(0, -1) : value;
	if (name.length < 1 || name.length > 253) return false;
	const labels = name.split('.');
	if (labels.length < 2) return false;
	return labels.every((label) => /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/.test(label));
}

/** A URL indicator: with or without a scheme (MDE accepts both), no whitespace. */
export function isUrlIndicator(value: string): boolean {
	if (value.length < 3 || value.length > 2048 || /\s/.test(value)) return false;
	const withoutScheme = value.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '');
	const host = withoutScheme.split(/[/?#]/)[0].replace(/:\d+$/, '');
	return isDomainName(host) || isIPv4(host) || /^\[[0-9a-fA-F:.]+\]$/.test(host);
}

/** TVM vulnerability id. */
export function isCveId(value: string): boolean {
	return /^CVE-\d{4}-\d{4,}$/i.test(value);
}

/** TVM software id: `vendor-_-product`. */
export function isSoftwareId(value: string): boolean {
	return /^[^\s/\\?#]+-_-[^\s/\\?#]+$/.test(value);
}

/** MDE indicator id: a number sent as a string. */
export function isIndicatorId(value: string): boolean {
	return /^\d{1,20}$/.test(value);
}

export type ValueKind =
	| 'machineId'
	| 'machineActionId'
	| 'sha1'
	| 'sha256'
	| 'md5'
	| 'guid'
	| 'ipv4'
	| 'ipv6'
	| 'ipAddress'
	| 'deviceName'
	| 'domainName'
	| 'url'
	| 'cveId'
	| 'softwareId'
	| 'indicatorId';

interface Validator {
	test: (value: string) => boolean;
	/** Completes "… must be …". */
	expected: string;
	example: string;
}

export const VALIDATORS: Record<ValueKind, Validator> = {
	machineId: { test: isMachineId, expected: 'a machine ID of 40 hexadecimal characters', example: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07' },
	machineActionId: { test: isGuid, expected: 'a machine action ID (a GUID)', example: '5382f7ea-7557-4ab7-9782-d50480024a4e' },
	sha1: { test: isSha1, expected: 'a SHA-1 hash of 40 hexadecimal characters', example: '87662bc3d60e4200ceaf7aae249d1c343f4b83c9' },
	sha256: { test: isSha256, expected: 'a SHA-256 hash of 64 hexadecimal characters', example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
	md5: { test: isMd5, expected: 'an MD5 hash of 32 hexadecimal characters', example: 'd41d8cd98f00b204e9800998ecf8427e' },
	guid: { test: isGuid, expected: 'a GUID', example: '11111111-2222-3333-4444-555555555555' },
	ipv4: { test: isIPv4, expected: 'an IPv4 address', example: '10.1.2.3' },
	ipv6: { test: isIPv6, expected: 'an IPv6 address', example: 'fe80::1' },
	ipAddress: { test: isIpAddress, expected: 'an IPv4 or IPv6 address (no CIDR range)', example: '10.1.2.3' },
	deviceName: { test: isDeviceName, expected: 'a device name (no spaces, slashes, "?" or "#", not "." or "..")', example: 'desktop-01.contoso.com' },
	domainName: { test: isDomainName, expected: 'a domain name', example: 'malicious.example.com' },
	url: { test: isUrlIndicator, expected: 'a URL without spaces', example: 'https://malicious.example.com/path' },
	cveId: { test: isCveId, expected: 'a CVE ID', example: 'CVE-2024-21412' },
	softwareId: { test: isSoftwareId, expected: 'a software ID of the form vendor-_-product', example: 'microsoft-_-edge' },
	indicatorId: { test: isIndicatorId, expected: 'an indicator ID (a number)', example: '995' },
};

export function isValid(kind: ValueKind, value: unknown): boolean {
	return typeof value === 'string' && VALIDATORS[kind].test(value.trim());
}

export interface ValidateOptions {
	/** The parameter's display name, shown to the user. */
	parameter: string;
	itemIndex: number;
}

/**
 * Returns the trimmed value when it is valid; throws a NodeOperationError naming the parameter
 * and the item otherwise. Numbers are accepted where the kind is numeric (indicator ids).
 */
export function validateValue(
	node: INode,
	kind: ValueKind,
	value: unknown,
	{ parameter, itemIndex }: ValidateOptions,
): string {
	const validator = VALIDATORS[kind];
	const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
	if (typeof text !== 'string' || text.trim() === '') {
		throw new NodeOperationError(node, `"${parameter}" is empty (item ${itemIndex})`, {
			itemIndex,
			description: `Enter ${validator.expected}, e.g. ${validator.example}.`,
		});
	}
	const trimmed = text.trim();
	if (!validator.test(trimmed)) {
		throw new NodeOperationError(
			node,
			`"${parameter}" must be ${validator.expected} (item ${itemIndex}): got "${preview(trimmed)}"`,
			{ itemIndex, description: `Example of a valid value: ${validator.example}` },
		);
	}
	return trimmed;
}

function isControlCode(code: number): boolean {
	return code < 0x20 || code === 0x7f;
}

function hasControlCharacter(value: string): boolean {
	for (let index = 0; index < value.length; index++) {
		if (isControlCode(value.charCodeAt(index))) return true;
	}
	return false;
}

function preview(value: string): string {
	const printable = Array.from(value, (char) => (isControlCode(char.charCodeAt(0)) ? '?' : char)).join('');
	return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
}
