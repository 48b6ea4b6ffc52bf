import type {V1DaemonSet, V1Pod} from '@kubernetes/client-node';
import type {KubeApi} from '../kube/client.js';
import {MultusError} from '../errors.js';
import {scanText} from '../multus/logs.js';
import {judgeLogRead} from '../multus/log-sample.js';
import type {AccessEvidence, CheckResult, LogEvidence} from './model.js';

/** A label selector string from a DaemonSet's matchLabels (and simple matchExpressions). */
export function selectorOf(ds: V1DaemonSet): string {
	const selector = ds.spec?.selector;
	const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
	for (const expression of selector?.matchExpressions ?? []) {
		const values = (expression.values ?? []).join(',');
		if (expression.operator === 'In') parts.push(`${expression.key} in (${values})`);
		else if (expression.operator === 'NotIn') parts.push(`${expression.key} notin (${values})`);
		else if (expression.operator === 'Exists') parts.push(expression.key);
		else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
	}
	return parts.join(',');
}

/** Log evidence of no pod read yet. */
export function emptyLogEvidence(): LogEvidence {
	return {
		state: 'clean', podsRead: 0, podsSampled: [], bytesRead: 0, count: 0, verbs: [], users: [], nodes: [],
		firstSeen: undefined, lastSeen: undefined, examples: [], lookalikes: [], errors: [],
		families: {'pods-forbidden': 0, 'nads-forbidden': 0},
	};
}

/** The pods list and watch reviews among a run of checks, as the report has always carried them (accessReview). */
export function podsAccess(checks: CheckResult[]): AccessEvidence {
	const answer = (verb: string) => {
		const check = checks.find(c => c.kind === 'access' && c.question.group === '' && c.question.resource === 'pods' && c.question.verb === verb);
		if (check?.kind !== 'access') throw new MultusError('Internal', `no pods ${verb} review was declared`);
		return check.answer;
	};
	return {list: answer('list'), watch: answer('watch')};
}

/** The blocking access reviews that did not allow: what the daemon still may not do. */
export function deniedAccess(checks: CheckResult[]): Array<Extract<CheckResult, {kind: 'access'}>> {
	return checks.filter((check): check is Extract<CheckResult, {kind: 'access'}> => check.kind === 'access' && check.blocks && check.status !== 'pass');
}

/**
 * Bounded log evidence: read at most `limitBytes` from each of the given pods' multus container and classify the
 * lines with the same classifier `kubectl multus scan` uses.
 */
export async function logEvidence(
	client: KubeApi,
	pods: V1Pod[],
	container: string,
	limitBytes: number,
	signal?: AbortSignal,
): Promise<LogEvidence> {
	const evidence = emptyLogEvidence();
	const verbs = new Set<'list' | 'watch'>();
	const users = new Set<string>();
	const nodes = new Set<string>();
	const lookalikes = new Map<string, {kind: string; count: number; example: string}>();
	const results = await Promise.all(
		pods.map(async pod => {
			const name = pod.metadata?.name ?? '';
			try {
				return {pod, text: await client.readPodLog(pod.metadata?.namespace ?? '', name, container, limitBytes)};
			} catch (error) {
				return {pod, error: error instanceof MultusError ? error.message : String(error)};
			}
		}),
	);
	for (const result of results) {
		if (signal?.aborted) break;
		const podName = result.pod.metadata?.name ?? '';
		evidence.podsSampled.push(podName);
		if ('error' in result) {
			evidence.errors.push(result.error ?? 'unknown error');
			continue;
		}
		const judged = judgeLogRead(result.text, limitBytes);
		if (!judged.enough) {
			evidence.errors.push(`${judged.reason}, pod ${podName}`);
			continue;
		}
		evidence.podsRead++;
		evidence.bytesRead += Buffer.byteLength(result.text);
		const summary = scanText(result.text, {maxFindings: 200});
		// Every informer family the daemon prints (pods, NADs) is the bug; the verbs and users below span both.
		const forbidden = summary.podsForbidden + summary.nadsForbidden;
		evidence.families['pods-forbidden'] += summary.podsForbidden;
		evidence.families['nads-forbidden'] += summary.nadsForbidden;
		if (forbidden > 0) nodes.add(result.pod.spec?.nodeName ?? podName);
		evidence.count += forbidden;
		for (const finding of summary.findings) {
			verbs.add(finding.verb);
			if (finding.user) users.add(finding.user);
			if (finding.timestamp) {
				if (!evidence.firstSeen || finding.timestamp < evidence.firstSeen) evidence.firstSeen = finding.timestamp;
				if (!evidence.lastSeen || finding.timestamp > evidence.lastSeen) evidence.lastSeen = finding.timestamp;
			}
			if (evidence.examples.length < 2) evidence.examples.push(finding.excerpt);
		}
		for (const finding of summary.lookalikeFindings) {
			const entry = lookalikes.get(finding.kind) ?? {kind: finding.kind, count: 0, example: finding.excerpt};
			entry.count++;
			lookalikes.set(finding.kind, entry);
		}
	}
	evidence.verbs = [...verbs].sort();
	evidence.users = [...users].sort();
	evidence.nodes = [...nodes].sort();
	evidence.lookalikes = [...lookalikes.values()];
	evidence.state = evidence.podsRead === 0 ? 'unavailable' : evidence.count > 0 ? 'found' : 'clean';
	return evidence;
}
