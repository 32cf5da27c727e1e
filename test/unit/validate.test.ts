import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	isCveId,
	isDeviceName,
	isDomainName,
	isGuid,
	isIndicatorId,
	isIPv4,
	isIPv6,
	isIpAddress,
	isMachineId,
	isMd5,
	isSha1,
	isSha256,
	isSoftwareId,
	isUrlIndicator,
	validateValue,
} from '../../nodes/MicrosoftDefender/helpers/validate';

const node: INode = {
	id: 'n1',
	name: 'Microsoft Defender',
	type: 'n8n-nodes-microsoft-defender.microsoftDefender',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

describe('validators', () => {
	it('machine ids and SHA-1: exactly 40 hex characters', () => {
		expect(isMachineId('1e5bc9d7e413ddd7902c2932e418702b84d0cc07')).toBe(true);
		expect(isMachineId('1E5BC9D7E413DDD7902C2932E418702B84D0CC07')).toBe(true);
		expect(isMachineId('1e5bc9d7e413ddd7902c2932e418702b84d0cc0')).toBe(false);
		expect(isMachineId('1e5bc9d7e413ddd7902c2932e418702b84d0cc07a')).toBe(false);
		expect(isMachineId('ge5bc9d7e413ddd7902c2932e418702b84d0cc07')).toBe(false);
		expect(isMachineId("1e5bc9d7e413ddd7902c2932e418702b84d0cc0'")).toBe(false);
		expect(isSha1('87662bc3d60e4200ceaf7aae249d1c343f4b83c9')).toBe(true);
		expect(isSha1('87662bc3d60e4200ceaf7aae249d1c343f4b83c')).toBe(false);
	});

	it('SHA-256 and MD5 lengths', () => {
		expect(isSha256('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(true);
		expect(isSha256('87662bc3d60e4200ceaf7aae249d1c343f4b83c9')).toBe(false);
		expect(isMd5('d41d8cd98f00b204e9800998ecf8427e')).toBe(true);
		expect(isMd5('d41d8cd98f00b204e9800998ecf8427')).toBe(false);
	});

	it('GUIDs', () => {
		expect(isGuid('5382f7ea-7557-4ab7-9782-d50480024a4e')).toBe(true);
		expect(isGuid('{5382f7ea-7557-4ab7-9782-d50480024a4e}')).toBe(false);
		expect(isGuid('5382f7ea75574ab79782d50480024a4e')).toBe(false);
		expect(isGuid("5382f7ea-7557-4ab7-9782-d50480024a4' or 1 eq 1")).toBe(false);
	});

	it('IPv4', () => {
		for (const ok of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '192.168.0.1']) expect(isIPv4(ok)).toBe(true);
		for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4/24', ' 1.2.3.4', 'a.b.c.d', '']) {
			expect(isIPv4(bad)).toBe(false);
		}
	});

	it('IPv6', () => {
		for (const ok of [
			'::',
			'::1',
			'fe80::1',
			'2001:db8::8a2e:370:7334',
			'2001:0db8:0000:0000:0000:8a2e:0370:7334',
			'::ffff:192.168.1.1',
			'1::',
			'1:2:3:4:5:6:7::',
			'1:2:3:4:5:6:1.2.3.4',
		]) {
			expect([ok, isIPv6(ok)]).toEqual([ok, true]);
		}
		for (const bad of [
			':::',
			'1::2::3',
			'1:2:3:4:5:6:7:8:9',
			'1:2:3:4:5:6:7',
			'12345::',
			'fe80::1%eth0',
			'g::1',
			'1:2:3:4:5:6:7:8::',
			'::1.2.3',
			'1.2.3.4',
		]) {
			expect([bad, isIPv6(bad)]).toEqual([bad, false]);
		}
		expect(isIpAddress('10.0.0.1')).toBe(true);
		expect(isIpAddress('fe80::1')).toBe(true);
		expect(isIpAddress('10.0.0.0/8')).toBe(false);
	});

	it('device names are lenient but refuse whitespace, slashes and control characters', () => {
		expect(isDeviceName('desktop-01')).toBe(true);
		expect(isDeviceName('desktop-01.contoso.com')).toBe(true);
		expect(isDeviceName("o'brien-pc")).toBe(true);
		expect(isDeviceName('')).toBe(false);
		expect(isDeviceName('a b')).toBe(false);
		expect(isDeviceName('a/b')).toBe(false);
		expect(isDeviceName('a\\b')).toBe(false);
		expect(isDeviceName('a\u0000b')).toBe(false);
		expect(isDeviceName('x'.repeat(256))).toBe(false);
	});

	it('domain names, URLs, CVE, software and indicator ids', () => {
		expect(isDomainName('malicious.example.com')).toBe(true);
		expect(isDomainName('example')).toBe(false);
		expect(isDomainName('-bad.example.com')).toBe(false);
		expect(isDomainName('bad domain.com')).toBe(false);
		expect(isUrlIndicator('https://malicious.example.com/path?q=1')).toBe(true);
		expect(isUrlIndicator('malicious.example.com/path')).toBe(true);
		expect(isUrlIndicator('http://10.1.2.3:8080/x')).toBe(true);
		expect(isUrlIndicator('http://exa mple.com')).toBe(false);
		expect(isCveId('CVE-2024-21412')).toBe(true);
		expect(isCveId('CVE-24-1')).toBe(false);
		expect(isSoftwareId('microsoft-_-edge')).toBe(true);
		expect(isSoftwareId('microsoft edge')).toBe(false);
		expect(isIndicatorId('995')).toBe(true);
		expect(isIndicatorId('99a')).toBe(false);
	});
});

describe('validateValue', () => {
	it('returns the trimmed value', () => {
		expect(
			validateValue(node, 'sha1', ' 87662bc3d60e4200ceaf7aae249d1c343f4b83c9\n', { parameter: 'SHA1', itemIndex: 0 }),
		).toBe('87662bc3d60e4200ceaf7aae249d1c343f4b83c9');
		expect(validateValue(node, 'indicatorId', 995, { parameter: 'Indicator ID', itemIndex: 0 })).toBe('995');
	});

	it('throws a NodeOperationError naming the parameter and the item', () => {
		let caught: unknown;
		try {
			validateValue(node, 'machineId', 'not-a-machine', { parameter: 'Machine', itemIndex: 3 });
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(NodeOperationError);
		const error = caught as NodeOperationError;
		expect(error.message).toContain('"Machine"');
		expect(error.message).toContain('item 3');
		expect(error.message).toContain('40 hexadecimal');
		expect(error.context.itemIndex).toBe(3);
		expect(error.description).toContain('1e5bc9d7e413ddd7902c2932e418702b84d0cc07');
	});

	it('refuses empty values with their own message', () => {
		expect(() => validateValue(node, 'guid', '  ', { parameter: 'Action ID', itemIndex: 1 })).toThrow(
			'"Action ID" is empty (item 1)',
		);
		expect(() => validateValue(node, 'guid', undefined, { parameter: 'Action ID', itemIndex: 1 })).toThrow(
			'is empty',
		);
	});

	it('shows control characters harmlessly and shortens long values', () => {
		expect(() => validateValue(node, 'sha1', 'ab\u0000cd', { parameter: 'SHA1', itemIndex: 0 })).toThrow('ab?cd');
		let message = '';
		try {
			validateValue(node, 'sha1', 'z'.repeat(500), { parameter: 'SHA1', itemIndex: 0 });
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message.length).toBeLessThan(200);
	});
});
