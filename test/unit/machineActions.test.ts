import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { stripQuotes } from '../../nodes/MicrosoftDefender/actions/machine/links';
import { isActiveStatus, isFinalStatus } from '../../nodes/MicrosoftDefender/actions/machine/machineAction';
import { failureText, isActionAlreadyPendingError, isUncertainOutcome } from '../../nodes/MicrosoftDefender/helpers/outcome';
import { kindOfAnswer, transportError } from '../../nodes/MicrosoftDefender/transport/errors';

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

	it('"already in progress" comes from the transport\'s structured kind, never from message text', () => {
		const answer = (status: number, code: string | undefined, message: string) =>
			transportError(node, 0, { message, description: '' }, { kind: kindOfAnswer(status, code, message), status, code, sent: true });
		expect(isActionAlreadyPendingError(answer(400, 'ActiveRequestAlreadyExists', 'x'))).toBe(true);
		expect(isActionAlreadyPendingError(answer(400, undefined, 'Action is already in progress'))).toBe(true);
		expect(isActionAlreadyPendingError(answer(400, 'InvalidRequestBody', 'bad'))).toBe(false);
		expect(isActionAlreadyPendingError(answer(403, undefined, 'Action is already in progress'))).toBe(false);
		// Text alone (an error the transport did not build) is not matched.
		expect(isActionAlreadyPendingError(new Error('ActiveRequestAlreadyExists'))).toBe(false);
		expect(isActionAlreadyPendingError(apiError('400', { code: 'ActiveRequestAlreadyExists', message: 'x' }))).toBe(false);
	});

	it('failure text names the network reason from the structured field', () => {
		const reset = transportError(node, 0, { message: 'The connection failed while sending POST /x (connection reset)', description: '' }, {
			kind: 'network',
			networkCode: 'ECONNRESET',
			sent: true,
		});
		expect(failureText(reset)).toBe('the request failed (connection reset)');
		expect(failureText(apiError(undefined, { message: 'no fields' }))).toBe('the request failed without an answer');
		expect(failureText(apiError('503', { message: 'x' }))).toBe('Microsoft answered 503');
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
