import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { stripQuotes } from '../../nodes/MicrosoftDefender/actions/machine/links';
import { isActiveStatus, isFinalStatus } from '../../nodes/MicrosoftDefender/actions/machine/machineAction';
import { isActionAlreadyPendingError, isUncertainOutcome } from '../../nodes/MicrosoftDefender/helpers/outcome';

const node: INode = {
	id: 'n1',
	name: 'Microsoft Defender',
	type: 'n8n-nodes-microsoft-defender.microsoftDefender',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const apiError = (httpCode: string | undefined, body: JsonObject) =>
	new NodeApiError(node, body, { httpCode, message: String(body.message ?? 'failed') });

describe('machine action helpers', () => {
	it('statuses: final vs active', () => {
		for (const s of ['Succeeded', 'Failed', 'TimeOut', 'Cancelled']) expect(isFinalStatus(s)).toBe(true);
		for (const s of ['Pending', 'InProgress']) {
			expect(isFinalStatus(s)).toBe(false);
			expect(isActiveStatus(s)).toBe(true);
		}
		expect(isFinalStatus(undefined)).toBe(false);
		expect(isActiveStatus('Succeeded')).toBe(false);
	});

	it('stripQuotes removes the literal quotes around the package link', () => {
		expect(stripQuotes('"https://x.blob.core.windows.net/p.zip?sig=a"')).toBe('https://x.blob.core.windows.net/p.zip?sig=a');
		expect(stripQuotes(' "\'https://x/y\'" ')).toBe('https://x/y');
		expect(stripQuotes('https://x/y')).toBe('https://x/y');
		expect(stripQuotes('"')).toBe('"');
	});

	it('recognises "already in progress" only on a 400 (code or message)', () => {
		expect(isActionAlreadyPendingError(apiError('400', { code: 'ActiveRequestAlreadyExists', message: 'x' }))).toBe(true);
		expect(isActionAlreadyPendingError(apiError('400', { message: 'Action is already in progress' }))).toBe(true);
		expect(isActionAlreadyPendingError(apiError('400', { code: 'InvalidRequestBody', message: 'bad' }))).toBe(false);
		expect(isActionAlreadyPendingError(apiError('403', { message: 'Action is already in progress' }))).toBe(false);
		expect(isActionAlreadyPendingError(new Error('ActiveRequestAlreadyExists'))).toBe(true);
	});

	it('uncertain outcomes: 5xx, network failures and unreadable 2xx, not 4xx', () => {
		expect(isUncertainOutcome(apiError('503', { message: 'x' }))).toBe(true);
		expect(isUncertainOutcome(apiError('500', { message: 'x' }))).toBe(true);
		expect(isUncertainOutcome(apiError(undefined, { message: 'socket hang up' }))).toBe(true);
		expect(isUncertainOutcome(apiError('201', { message: 'not valid JSON' }))).toBe(true);
		expect(isUncertainOutcome(apiError('400', { message: 'x' }))).toBe(false);
		expect(isUncertainOutcome(apiError('429', { message: 'x' }))).toBe(false);
		expect(isUncertainOutcome(apiError('404', { message: 'x' }))).toBe(false);
	});
});
