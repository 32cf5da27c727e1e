import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * Input validators. Values are checked before any HTTP request, so a typo never reaches
 * Microsoft (or an OData filter). Every check is a pure function; `validateValue` turns a
 * failed check into a NodeOperationError that names the parameter and the item. Every input
 * error of the node is built by `inputError` (or `parameterError`), so they all read alike.
 */

/** An input error: the message ends with the item, the description says how to fix it. */
export function inputError(node: INode, itemIndex: number, message: string, description: string): NodeOperationError {
	return new NodeOperationError(node, `${message} (item ${itemIndex})`, { itemIndex, description });
}

/** An input error about one parameter: `"Limit" must be … (item 0)`. */
export function parameterError(
	node: INode,
	parameter: string,
	itemIndex: number,
	problem: string,
	description: string,
): NodeOperationError {
	return inputError(node, itemIndex, `"${parameter}" ${problem}`, description);
}

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
	return /^CVE-\d{4}-\d{4,19}$/i.test(value);
}

/** TVM software id: `vendor-_-product`. */
export function isSoftwareId(value: string): boolean {
	// Bounded: a path segment of thousands of characters is refused by any front door (431/414).
	return value.length <= 512 && /^[^\s/\\?#]+-_-[^\s/\\?#]+$/.test(value);
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
		throw parameterError(node, parameter, itemIndex, 'is empty', `Enter ${validator.expected}, e.g. ${validator.example}.`);
	}
	const trimmed = text.trim();
	assertWellFormed(node, trimmed, { parameter, itemIndex });
	if (!validator.test(trimmed)) {
		throw parameterError(
			node,
			parameter,
			itemIndex,
			`must be ${validator.expected}: got "${preview(trimmed)}"`,
			`Example of a valid value: ${validator.example}`,
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

/** A value as it may be shown in a message: control characters and unpaired surrogates replaced, long text cut. */
export function preview(value: string): string {
	// Array.from splits by code point, so an unpaired surrogate stays one element: shown as U+FFFD.
	const chars = Array.from(value, (char) =>
		isControlCode(char.charCodeAt(0)) ? '?' : hasLoneSurrogate(char) ? '\ufffd' : char,
	);
	return chars.length > 80 ? `${chars.slice(0, 77).join('')}...` : chars.join('');
}

/* ------------------------------------------------------------------ parameters of any type */

/** Whether the text holds an unpaired UTF-16 surrogate (cannot be URL-encoded or sent as UTF-8). */
export function hasLoneSurrogate(value: string): boolean {
	return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

function describeType(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : String(value);
	if (typeof value === 'object') return 'an object';
	if (typeof value === 'string') return `"${preview(value)}"`;
	return `${typeof value} ${String(value)}`;
}

/** Rejects text that cannot be sent as UTF-8 (a lone surrogate from a broken expression). */
export function assertWellFormed(node: INode, value: string, { parameter, itemIndex }: ValidateOptions): string {
	if (hasLoneSurrogate(value)) {
		throw parameterError(
			node,
			parameter,
			itemIndex,
			'contains an invalid character (an unpaired UTF-16 surrogate)',
			'The value was probably cut in the middle of an emoji or another character outside the basic plane. Fix the expression that builds it.',
		);
	}
	return value;
}

/** Longest text filter value (URLs in indicators are the longest values Defender stores). */
export const MAX_FILTER_TEXT = 2048;

/**
 * An optional text filter. Empty → undefined. A finite number is read as its digits; a list,
 * object or boolean is refused (it would otherwise be dropped or become "[object Object]", and
 * the query would silently return more than asked for).
 */
export function readFilterText(node: INode, value: unknown, opts: ValidateOptions): string | undefined {
	if (value === undefined || value === null) return undefined;
	let text: string;
	if (typeof value === 'string') text = value;
	else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
	else {
		throw parameterError(
			node,
			opts.parameter,
			opts.itemIndex,
			`must be text, not ${describeType(value)}`,
			'Enter one value. To match several values, run the node once per value (one input item each).',
		);
	}
	const trimmed = text.trim();
	if (trimmed === '') return undefined;
	if (trimmed.length > MAX_FILTER_TEXT) {
		throw parameterError(node, opts.parameter, opts.itemIndex, `is too long (${trimmed.length} characters)`, `Enter at most ${MAX_FILTER_TEXT} characters.`);
	}
	return assertWellFormed(node, trimmed, opts);
}

/**
 * A multi-option filter. Accepts the list the editor produces, or (from an expression) one text
 * with values separated by commas. With `allowed` (values, or the editor's options), every value must be one of them
 * (compared case-insensitively, returned in the options' spelling).
 */
export function readOptionList(
	node: INode,
	value: unknown,
	opts: ValidateOptions & { allowed?: ReadonlyArray<string | number | boolean | { value: string | number | boolean }> },
): string[] {
	if (value === undefined || value === null || value === '') return [];
	let raw: unknown[];
	if (typeof value === 'string') raw = splitList(value);
	else if (Array.isArray(value)) raw = value;
	else {
		throw parameterError(
			node,
			opts.parameter,
			opts.itemIndex,
			`must be a list of values, not ${describeType(value)}`,
			'Pick the values in the editor, or return an array (or a comma-separated text) from the expression.',
		);
	}
	const allowed = opts.allowed?.map((a) => String(typeof a === 'object' ? a.value : a));
	const out: string[] = [];
	for (const entry of raw) {
		if (typeof entry !== 'string' && !(typeof entry === 'number' && Number.isFinite(entry))) {
			throw parameterError(node, opts.parameter, opts.itemIndex, `holds ${describeType(entry)}, which is not a value`, 'Each value must be text.');
		}
		let text = String(entry).trim();
		if (text === '') continue;
		assertWellFormed(node, text, opts);
		if (allowed) {
			const match = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
			if (match === undefined) {
				throw parameterError(
					node,
					opts.parameter,
					opts.itemIndex,
					`has an unknown value "${preview(text)}"`,
					`Allowed values: ${allowed.join(', ')}.`,
				);
			}
			text = match;
		}
		if (!out.includes(text)) out.push(text);
	}
	return out;
}

/** A number parameter (which an expression can turn into text, NaN or a list). */
export function readNumber(
	node: INode,
	value: unknown,
	opts: ValidateOptions & { min: number; max: number; integer?: boolean; unit?: string; hint?: string },
): number {
	const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
	const unit = opts.unit ? ` ${opts.unit}` : '';
	const range = `${opts.integer ? 'a whole number ' : 'a number '}from ${opts.min} to ${opts.max}${unit}`;
	if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || n < opts.min || n > opts.max) {
		throw parameterError(node, opts.parameter, opts.itemIndex, `must be ${range}, not ${describeType(value)}`, opts.hint ?? `Set "${opts.parameter}" to ${range}.`);
	}
	return n;
}

/** Largest Limit accepted: more than any Defender list holds, well inside exact integers. */
export const MAX_LIMIT = 10_000_000;

/** Limit of a Get Many operation: a whole number of at least 1 (0, -1, NaN or text are refused, never read as "all"). */
export function readLimit(node: INode, value: unknown, itemIndex: number): number {
	return readNumber(node, value, {
		parameter: 'Limit',
		itemIndex,
		min: 1,
		max: MAX_LIMIT,
		integer: true,
		hint: 'Set Limit to 1 or more, or switch on Return All.',
	});
}

/**
 * Splits a list typed as "a, b ,c" (or given as an array by an expression) into trimmed,
 * unique, non-empty strings. Anything else (an object, a boolean) is no list: [].
 */
export function splitList(value: unknown): string[] {
	const parts = Array.isArray(value)
		? value.map((v) => String(v))
		: typeof value === 'string' || typeof value === 'number'
			? String(value).split(',')
			: [];
	const out: string[] = [];
	for (const part of parts) {
		const text = part.trim();
		if (text && !out.includes(text)) out.push(text);
	}
	return out;
}
