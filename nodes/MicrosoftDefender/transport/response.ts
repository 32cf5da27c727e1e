/** Reading an answer's body: streams, binary, and JSON that may be empty, malformed or cut off. */
export function isReadable(body: unknown): body is AsyncIterable<Buffer | string> {
	return !!body && typeof (body as { pipe?: unknown }).pipe === 'function' && Symbol.asyncIterator in (body as object);
}

export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
	return Buffer.concat(chunks);
}

export function asBuffer(b: unknown): Buffer {
	return Buffer.isBuffer(b) ? b : b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(String(b ?? ''));
}

/**
 * The JSON of a 2xx body (an empty body is `{}`); `malformed` when it cannot be parsed or fails
 * the caller's completeness check.
 */
export function parseJsonBody(raw: unknown, isComplete?: (body: unknown) => boolean): { body: unknown; malformed: boolean } {
	let body = raw;
	if (Buffer.isBuffer(body)) body = body.toString('utf8');
	if (typeof body === 'string') {
		const text = body.trim();
		if (!text) body = {};
		else {
			try {
				body = JSON.parse(text);
			} catch {
				return { body, malformed: true };
			}
		}
	}
	if (isComplete && !isComplete(body)) return { body, malformed: true };
	return { body: body === undefined || body === null ? {} : body, malformed: false };
}
