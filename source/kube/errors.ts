import {MultusError, type ErrorKind} from '../errors.js';

interface StatusBody {
	message?: string;
	reason?: string;
	code?: number;
}

function statusBody(body: unknown): StatusBody | undefined {
	if (typeof body === 'string') {
		try {
			return JSON.parse(body) as StatusBody;
		} catch {
			return {message: body};
		}
	}
	return typeof body === 'object' && body !== null ? (body as StatusBody) : undefined;
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

function causeChain(error: unknown): Array<{code?: string; message?: string; name?: string}> {
	const chain: Array<{code?: string; message?: string; name?: string}> = [];
	let current: unknown = error;
	for (let i = 0; i < 6 && current && typeof current === 'object'; i++) {
		chain.push(current as {code?: string; message?: string; name?: string});
		current = (current as {cause?: unknown}).cause;
	}
	return chain;
}

/** HTTP status of a client-node failure, if it has one. */
export function httpStatus(error: unknown): number | undefined {
	if (error instanceof MultusError) return error.status;
	const candidate = error as {code?: unknown; statusCode?: unknown} | undefined;
	// Only HTTP statuses: a DOMException (an aborted or timed-out fetch) also has a numeric `code`, 20 or 23.
	const isStatus = (value: unknown): value is number => typeof value === 'number' && value >= 100 && value <= 599;
	if (isStatus(candidate?.code)) return candidate.code;
	if (isStatus(candidate?.statusCode)) return candidate.statusCode;
	return undefined;
}

/**
 * Maps any failure of a Kubernetes call to a MultusError with a kind, once, here. `action` says what we were
 * doing ("list DaemonSets in all namespaces"), `server` is the API server URL for network failures.
 */
export function toMultusError(error: unknown, action: string, server?: string): MultusError {
	if (error instanceof MultusError) return error;
	const status = httpStatus(error);
	const body = statusBody((error as {body?: unknown} | undefined)?.body);
	const serverText = server ? ` at ${server}` : '';
	if (status !== undefined) {
		const detail = body?.message ?? (error instanceof Error ? error.message.split('\n')[1]?.replace(/^Message: /, '') : undefined) ?? `HTTP ${status}`;
		const kind: ErrorKind =
			status === 401 ? 'Unauthorized'
			: status === 403 ? 'Forbidden'
			: status === 404 ? 'NotFound'
			: status === 409 ? 'Conflict'
			: status === 410 ? 'Gone'
			: status === 422 && /test operation|testing|resourceVersion/i.test(detail) ? 'Conflict'
			: status === 422 || status === 400 ? 'Invalid'
			: status === 408 || status === 504 ? 'Timeout'
			: status >= 500 ? 'Unreachable'
			: 'Internal';
		const hint =
			kind === 'Unauthorized' ? 'your credentials were rejected: refresh them (for example run `kubectl get ns` to renew an exec or OIDC token) or pick another --context'
			: kind === 'Forbidden' ? 'ask a cluster admin for this permission, or run as a user who has it (--as, --context)'
			: kind === 'Unreachable' || kind === 'Timeout' ? 'the API server is unhealthy or overloaded; retry, or raise --request-timeout'
			: undefined;
		return new MultusError(kind, `cannot ${action}: ${detail}`, {status, cause: error, ...(hint ? {hint} : {})});
	}
	const chain = causeChain(error);
	const timeout = chain.find(e => e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_CONNECT_TIMEOUT' || e.code === 'ETIMEDOUT');
	if (timeout) {
		return new MultusError('Timeout', `cannot ${action}: no answer from the API server${serverText} in time`, {
			cause: error,
			hint: 'check that the cluster is up and reachable (kubectl get --raw /readyz), or raise --request-timeout',
		});
	}
	const network = chain.find(e => typeof e.code === 'string' && networkCodes.has(e.code));
	if (network) {
		return new MultusError('Unreachable', `cannot ${action}: cannot connect to the API server${serverText} (${network.code})`, {
			cause: error,
			hint: 'check that the cluster is running and that --kubeconfig/--context point at it (kubectl cluster-info)',
		});
	}
	const tls = chain.find(e => typeof e.code === 'string' && tlsCodes.test(e.code));
	if (tls) {
		return new MultusError('Unreachable', `cannot ${action}: TLS failure talking to ${server || 'the API server'} (${tls.code}: ${tls.message})`, {
			cause: error,
			hint: 'the kubeconfig\'s certificate-authority does not match the server; check the cluster entry of your kubeconfig',
		});
	}
	const message = chain.map(e => e.message).filter(Boolean).join(': ') || String(error);
	if (/exec|credential|token/i.test(message) && /fail|exit|spawn|ENOENT/i.test(message)) {
		return new MultusError('Unauthorized', `cannot ${action}: the kubeconfig's credential plugin failed: ${message}`, {
			cause: error,
			hint: 'run the same command with kubectl (kubectl get ns) to see the plugin\'s own error and log in again',
		});
	}
	return new MultusError('Unreachable', `cannot ${action}: ${message}`, {cause: error, hint: 'check the cluster and your kubeconfig (kubectl cluster-info)'});
}
