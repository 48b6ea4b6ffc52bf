// The report as data (`-o json`, and what the Markdown is written from): what was collected, trimmed to what an
// issue needs. The DaemonSet keeps its shape but no environment value (only where each comes from), no value of a
// flag or an annotation that names a secret, no value of an annotation outside the known tools' (their keys stay)
// and no last-applied copy of itself; the ServiceAccount its token Secrets' count, not their names. Pure; the logs
// are redacted whole before any excerpt is cut from them (withRedactedLogs), and the whole document afterwards
// (source/report/redact.ts).
import type {V1Container, V1DaemonSet, V1EnvVar, V1ObjectMeta, V1ServiceAccount, V1Volume} from '@kubernetes/client-node';
import {renderLine} from '../ansi.js';
import {checkLines, logLines} from '../doctor/present.js';
import type {Found} from '../doctor/model.js';
import {finding, findingPage, findingTitle} from '../multus/findings.js';
import {describeRule} from '../multus/rbac.js';
import type {VersionInfo} from '../version.js';
import type {CheckOutcome, Collected, Gap, ReportVerdict, SampledLog} from './collect.js';
import {excerptOf} from '../multus/logs.js';
import {namesSecret, type RedactionCounts, type Redactor} from './redact.js';

/** The newest lines of each sampled log that the report itself carries (the bundle has the whole read). */
export const excerptLines = 40;
/** What a value the report does not show is shown as (an environment variable's, a secret flag's or annotation's). */
export const notShown = 'a value (not shown)';
/** A longer line is cut to this many characters in the excerpt. */
export const excerptLineChars = 600;

export interface Finding {
	id: string;
	/** The stable code of the finding its failure is (source/multus/findings.ts), its title and its page. */
	code: string;
	title: string;
	page: string;
	/** A rules check's gaps: each missing rule with its own code. */
	gaps?: Array<{code: string; rule: string}>;
	/** What the check asks: an access review, the bound rules, or the logs; unknown when it could not be asked. */
	kind: 'access' | 'rules' | 'logs' | 'unknown';
	blocks: boolean;
	status: 'pass' | 'fail' | 'unknown';
	/** The doctor's words for it. */
	text: string;
	/** Why it could not be judged (what it needed could not be read), when it could not. */
	notJudged?: string;
}

export interface LogSample {
	namespace: string;
	pod: string;
	container: string;
	node: string;
	/** Bytes and lines read (at most --log-bytes, the newest whole lines). */
	bytes: number;
	lines: number;
	/**
	 * The newest lines, at most the document's `logs.excerptLines` of them, each at most excerptLineChars long; a run
	 * of the same line (its time aside) is one line and a `… the same line N more time(s)` after it.
	 */
	excerpt: string[];
	/** Lines read but left out of the excerpt (older ones): the excerpt covers the newest `lines - omitted`. */
	omitted: number;
	error: string | null;
	/** Where the whole read is in a bundle. */
	file: string;
}

export interface ReportDocument {
	reportVersion: 1;
	generatedAt: string;
	tool: VersionInfo;
	kubernetes: {version: string; server: string};
	/** The kubeconfig user, and who the API server took it for (`kubectl auth whoami`; null when it could not say). */
	caller: {user: string; impersonating: string | null; server: {username: string; groups: string[]} | null};
	verdict: ReportVerdict;
	summary: string;
	multus: {
		namespace: string;
		daemonSet: string;
		mode: string;
		image: string;
		tag: string | null;
		release: {version: string; how: string; note: string | null; informers: string[]};
		foundBy: string[];
		identity: {user: string; groups: string[]};
		perNodeCertificates: boolean;
		daemonLog: {startupLines: string; source: string | null; why: string | null};
		managedBy: string | null;
		pods: {desired: number; ready: number};
	} | null;
	findings: Finding[];
	/** Every finding the run raised, by code (the doctor's list: checks, rule gaps, look-alikes, what Find and the plan saw). */
	codes: Array<{code: string; title: string; page: string; details: string[]}>;
	/** What Find saw that an issue should know and that is no finding of its own. */
	warnings: Array<{code: string | null; text: string}>;
	fix: {
		clusterRole: string;
		add: string[];
		dedicated: {sharedRole: string; othersBound: string[]} | null;
		aggregateOf: string | null;
		managedBy: string | null;
		gains: string[];
		reconcileYaml: string;
	} | null;
	fixRefused: {message: string; hint: string | null} | null;
	rbac: {
		read: boolean;
		roles: Array<{name: string; bindings: Array<{binding: string; via: string}>; managedBy: string | null; rules: string[]}>;
		missingRoles: Array<{role: string; bindings: string[]}>;
	};
	daemonSet: unknown;
	serviceAccount: unknown;
	logs: {
		state: string;
		summary: string;
		/** The most lines of each pod's read the excerpts hold (excerptLines unless shortened). */
		excerptLines: number;
		/** Whether the excerpts hold fewer lines than excerptLines, so that the Markdown fits a GitHub issue. */
		shortened: boolean;
		samples: LogSample[];
	} | null;
	notCollected: Gap[];
	/** Distinct values replaced per kind; null when nothing was redacted on purpose (--no-redact). */
	redacted: RedactionCounts | null;
}

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The annotation prefixes whose values an issue may need and whose tools write no secret there: Kubernetes' own,
 * Multus's, the package and GitOps tools that manage a DaemonSet (who manages it), and this tool's. Any other
 * annotation keeps its key (what is there), not its value: a tool of the cluster's may keep a secret in one.
 */
const shownAnnotations = /^(?:deprecated\.daemonset\.template\.generation$|(?:[a-z0-9.-]+\.)?(?:kubernetes\.io|k8s\.io|cni\.cncf\.io|helm\.sh|argoproj\.io|fluxcd\.io|cattle\.io|openshift\.io|kubectl-multus\.dev)\/)/;

/** An annotation's value as the report shows it: only a known tool's, and never one whose key names a secret. */
function annotationValue(key: string, value: string): string {
	return shownAnnotations.test(key) && !namesSecret(key.slice(key.indexOf('/') + 1)) ? value : notShown;
}

/** A command line with the value of each flag that names a secret not shown (`--password X`, `--api-token=X`). */
export function shownArgs(args: readonly string[]): string[] {
	return args.map((arg, index) => {
		const flag = /^(--?[A-Za-z][\w.-]*)=/.exec(arg);
		if (flag) return namesSecret(flag[1]!) ? `${flag[1]}=${notShown}` : arg;
		const previous = index > 0 ? args[index - 1]! : '';
		// A value may begin with a dash (`--password -x9`); only a long flag after it is taken for the next flag.
		return /^--?[A-Za-z][\w.-]*$/.test(previous) && namesSecret(previous) && !arg.startsWith('--') ? notShown : arg;
	});
}

function trimMeta(meta: V1ObjectMeta | undefined) {
	const annotations = Object.fromEntries(
		Object.entries(meta?.annotations ?? {})
			.filter(([key]) => key !== lastApplied)
			.map(([key, value]) => [key, annotationValue(key, value)]),
	);
	return {
		...(meta?.name !== undefined ? {name: meta.name} : {}),
		...(meta?.namespace !== undefined ? {namespace: meta.namespace} : {}),
		...(meta?.labels ? {labels: meta.labels} : {}),
		...(Object.keys(annotations).length > 0 ? {annotations} : {}),
		...(meta?.generation !== undefined ? {generation: meta.generation} : {}),
		...(meta?.ownerReferences?.length ? {ownerReferences: meta.ownerReferences.map(ref => `${ref.kind} ${ref.name}`)} : {}),
	};
}

/** Where an environment variable's value comes from, never the value itself. */
function envSource(env: V1EnvVar): string {
	const from = env.valueFrom;
	if (from?.fieldRef) return `field ${from.fieldRef.fieldPath}`;
	if (from?.resourceFieldRef) return `resource ${from.resourceFieldRef.resource}`;
	if (from?.secretKeyRef) return `Secret ${from.secretKeyRef.name ?? ''} key ${from.secretKeyRef.key}`;
	if (from?.configMapKeyRef) return `ConfigMap ${from.configMapKeyRef.name ?? ''} key ${from.configMapKeyRef.key}`;
	return env.value === undefined ? 'empty' : notShown;
}

function trimContainer(container: V1Container) {
	return {
		name: container.name,
		image: container.image,
		...(container.command ? {command: shownArgs(container.command)} : {}),
		...(container.args ? {args: shownArgs(container.args)} : {}),
		...(container.env?.length ? {env: Object.fromEntries(container.env.map(env => [env.name, envSource(env)]))} : {}),
		...(container.envFrom?.length ? {envFrom: container.envFrom.map(from => (from.secretRef ? `Secret ${from.secretRef.name}` : `ConfigMap ${from.configMapRef?.name ?? ''}`))} : {}),
		...(container.volumeMounts?.length ? {volumeMounts: container.volumeMounts.map(mount => `${mount.name} at ${mount.mountPath}${mount.subPath ? ` (${mount.subPath})` : ''}${mount.readOnly ? ' ro' : ''}`)} : {}),
		...(container.resources ? {resources: container.resources} : {}),
		...(container.securityContext ? {securityContext: container.securityContext} : {}),
	};
}

function trimVolume(volume: V1Volume): string {
	if (volume.configMap) return `${volume.name}: ConfigMap ${volume.configMap.name ?? ''}`;
	if (volume.secret) return `${volume.name}: Secret ${volume.secret.secretName ?? ''}`;
	if (volume.hostPath) return `${volume.name}: hostPath ${volume.hostPath.path}`;
	if (volume.projected) return `${volume.name}: projected`;
	if (volume.emptyDir) return `${volume.name}: emptyDir`;
	const kind = Object.keys(volume).find(key => key !== 'name');
	return `${volume.name}: ${kind ?? 'unknown'}`;
}

/** The DaemonSet as an issue needs it: no environment value nor secret, no last-applied copy, no managed fields. */
export function trimDaemonSet(ds: V1DaemonSet) {
	const template = ds.spec?.template;
	const pod = template?.spec;
	return {
		metadata: trimMeta(ds.metadata),
		spec: {
			selector: ds.spec?.selector,
			...(ds.spec?.updateStrategy ? {updateStrategy: ds.spec.updateStrategy} : {}),
			template: {
				metadata: trimMeta(template?.metadata),
				spec: {
					serviceAccountName: pod?.serviceAccountName ?? pod?.serviceAccount ?? 'default',
					...(pod?.hostNetwork ? {hostNetwork: true} : {}),
					...(pod?.priorityClassName ? {priorityClassName: pod.priorityClassName} : {}),
					...(pod?.nodeSelector ? {nodeSelector: pod.nodeSelector} : {}),
					...(pod?.tolerations ? {tolerations: pod.tolerations} : {}),
					...(pod?.initContainers?.length ? {initContainers: pod.initContainers.map(trimContainer)} : {}),
					containers: (pod?.containers ?? []).map(trimContainer),
					...(pod?.volumes?.length ? {volumes: pod.volumes.map(trimVolume)} : {}),
				},
			},
		},
		status: ds.status
			? {
					desiredNumberScheduled: ds.status.desiredNumberScheduled,
					currentNumberScheduled: ds.status.currentNumberScheduled,
					updatedNumberScheduled: ds.status.updatedNumberScheduled ?? 0,
					numberReady: ds.status.numberReady,
					numberAvailable: ds.status.numberAvailable ?? 0,
					numberUnavailable: ds.status.numberUnavailable ?? 0,
					observedGeneration: ds.status.observedGeneration,
				}
			: null,
	};
}

/** The ServiceAccount: its metadata and settings; of its token Secrets only how many there are. */
export function trimServiceAccount(sa: V1ServiceAccount) {
	return {
		metadata: trimMeta(sa.metadata),
		...(sa.automountServiceAccountToken !== undefined ? {automountServiceAccountToken: sa.automountServiceAccountToken} : {}),
		...(sa.secrets?.length ? {secrets: sa.secrets.length} : {}),
		...(sa.imagePullSecrets?.length ? {imagePullSecrets: sa.imagePullSecrets.map(secret => secret.name ?? '')} : {}),
	};
}

/** Where a sampled pod's whole log read goes in a bundle. */
export function logFile(sample: Pick<SampledLog, 'namespace' | 'pod' | 'container'>): string {
	return `logs/${sample.namespace}/${sample.pod}/${sample.container}.log`;
}

function lineCount(text: string): number {
	return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** A log line without its leading time (an RFC 3339 stamp, a klog header's time and thread): what repeats. */
function withoutTime(line: string): string {
	return line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)\s+/, '').replace(/^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ /, '');
}

/**
 * The newest lines of a (redacted) read, at most `most` excerpt lines, each cut to excerptLineChars; a run of the
 * same line (its time aside) is its first line and `… the same line N more time(s)`; and how many older lines
 * were left out.
 */
export function logExcerpt(text: string, most = excerptLines): {excerpt: string[]; omitted: number} {
	const lines = text.split('\n');
	if (lines.at(-1) === '') lines.pop();
	const runs: Array<{line: string; times: number; exact: boolean}> = [];
	for (const line of lines) {
		const last = runs.at(-1);
		if (last && withoutTime(last.line) === withoutTime(line)) {
			last.times++;
			last.exact &&= last.line === line;
		} else runs.push({line, times: 1, exact: true});
	}
	const excerpt: string[] = [];
	let covered = 0;
	for (let index = runs.length - 1; index >= 0; index--) {
		const run = runs[index]!;
		const rows = run.times > 1 ? 2 : 1;
		if (excerpt.length + rows > most) break;
		const cut = run.line.length > excerptLineChars ? `${run.line.slice(0, excerptLineChars)}… (${run.line.length - excerptLineChars} more characters)` : run.line;
		excerpt.unshift(...(run.times > 1 ? [cut, `… the same line ${run.times - 1} more time(s)${run.exact ? '' : ', at other times'}`] : [cut]));
		covered += run.times;
	}
	return {excerpt, omitted: lines.length - covered};
}

function findingOf(check: CheckOutcome, found: Found, collected: Collected): Finding {
	const info = {code: check.code, title: findingTitle(check.code) ?? '', page: findingPage(check.code)};
	if ('error' in check) return {id: check.id, ...info, kind: 'unknown', blocks: check.blocks, status: 'unknown', text: 'not judged: what it asks could not be read', notJudged: check.error};
	// The doctor's lines without their marks (the report shows the check's status) and without the check's own code
	// at their end (the report shows it first); a rule gap's own code stays.
	let text = checkLines(check, found)
		.map(line => renderLine(line, false).replace(/^[✔✖!] /, '').replace(new RegExp(`\\s+\\[${check.code}\\]$`), ''))
		.join('; ');
	if (check.kind === 'logs') {
		const pods = collected.logs?.podsRead ?? 0;
		text = check.status === 'unknown' ? `${check.family}: no log could be read` : `${check.count} ${check.family} line(s) in the ${pods} pod(s) read`;
	}
	const gaps = check.kind === 'rules' && check.gaps.length > 0 ? {gaps: check.gaps.map(gap => ({code: gap.code, rule: describeRule(gap.rule)}))} : {};
	return {id: check.id, ...info, kind: check.kind, blocks: check.blocks, status: check.status, text, ...gaps};
}

function warningsOf(collected: Collected): ReportDocument['warnings'] {
	const found = collected.found;
	if (!found) return [];
	const ds = found.daemonSet;
	return [
		...(ds.release.note ? [{code: null, text: ds.release.note}] : []),
		...(found.missingRoles ?? []).map(missing => ({
			code: finding.boundRoleMissing.code,
			text: `ClusterRole ${missing.role} does not exist, yet ${missing.bindings.join(', ')} bind${missing.bindings.length === 1 ? 's' : ''} it: it grants nothing`,
		})),
	];
}

/**
 * What was collected with each log read redacted whole (its lines kept), and the doctor's own excerpts of its lines
 * (the examples and look-alikes it quotes) cut again from the redacted lines: no excerpt is cut before redaction,
 * so none can keep half a secret its rule no longer sees.
 */
export function withRedactedLogs(collected: Collected, redaction: Redactor): Collected {
	const quoted = new Set([...(collected.logs?.examples ?? []), ...(collected.logs?.lookalikes.map(other => other.example) ?? [])].filter(Boolean));
	const recut = new Map<string, string>();
	const samples = collected.samples.map(sample => {
		if (sample.text === undefined) return sample;
		const text = redaction.log(sample.text);
		if (quoted.size > recut.size) {
			const redactedLines = text.split('\n');
			sample.text.split('\n').forEach((line, index) => {
				const excerpt = excerptOf(line.replace(/\r$/, ''));
				if (quoted.has(excerpt) && !recut.has(excerpt)) recut.set(excerpt, excerptOf((redactedLines[index] ?? '').replace(/\r$/, '')));
			});
		}
		return {...sample, text, bytes: Buffer.byteLength(sample.text)};
	});
	// A quote of no line read (none is expected) is redacted as it is.
	const safe = (excerpt: string) => recut.get(excerpt) ?? redaction.text(excerpt);
	const logs = collected.logs && {...collected.logs, examples: collected.logs.examples.map(safe), lookalikes: collected.logs.lookalikes.map(other => ({...other, example: safe(other.example)}))};
	const raised = collected.raised.map(entry => ({...entry, details: entry.details.map(detail => [...quoted].reduce((done, excerpt) => done.split(excerpt).join(safe(excerpt)), detail))}));
	return {...collected, samples, logs, raised};
}

/**
 * The report as data, from what was collected (its logs redacted by withRedactedLogs; the rest not yet: see
 * redact.ts), with at most `most` lines of each log.
 */
export function reportDocument(collected: Collected, tool: VersionInfo, most = excerptLines): ReportDocument {
	const {found, connection, plan} = collected;
	const ds = found?.daemonSet;
	return {
		reportVersion: 1,
		generatedAt: collected.generatedAt,
		tool,
		kubernetes: {version: connection.serverVersion, server: connection.server},
		caller: {user: connection.user, impersonating: connection.impersonating ?? null, server: collected.caller ?? null},
		verdict: collected.verdict,
		summary: collected.summary,
		multus:
			found && ds
				? {
						namespace: ds.namespace,
						daemonSet: ds.name,
						mode: ds.mode,
						image: ds.image,
						tag: ds.version ?? null,
						release: {version: ds.release.release.version, how: ds.release.how, note: ds.release.note ?? null, informers: ds.release.release.informers},
						foundBy: ds.evidence,
						identity: found.identity,
						perNodeCertificates: ds.perNodeCertificates,
						daemonLog: {startupLines: ds.daemonLog.startupLines, source: ds.daemonLog.source ?? null, why: ds.daemonLog.why ?? null},
						managedBy: found.daemonSetOwner?.name ?? null,
						pods: {desired: found.desired, ready: found.ready},
					}
				: null,
		findings: found ? collected.checks.map(check => findingOf(check, found, collected)) : [],
		codes: collected.raised,
		warnings: warningsOf(collected),
		fix:
			plan && !plan.patch.empty
				? {
						clusterRole: plan.role,
						add: plan.patch.missing.map(describeRule),
						dedicated: plan.dedicated ? {sharedRole: plan.dedicated.sharedRole, othersBound: plan.dedicated.othersBound} : null,
						aggregateOf: plan.aggregate?.role ?? null,
						managedBy: plan.owner?.name ?? null,
						gains: plan.gains,
						reconcileYaml: plan.reconcileYaml,
					}
				: null,
		fixRefused: collected.planRefused ? {message: collected.planRefused.message, hint: collected.planRefused.hint ?? null} : null,
		rbac: {
			read: collected.rolesRead,
			roles: (found?.roles ?? []).map(role => ({
				name: role.name,
				bindings: role.grants.map(grant => ({binding: grant.binding, via: grant.via})),
				managedBy: role.owner?.name ?? null,
				rules: role.rules.map(describeRule),
			})),
			missingRoles: found?.missingRoles ?? [],
		},
		daemonSet: collected.daemonSet ? trimDaemonSet(collected.daemonSet) : null,
		serviceAccount: collected.serviceAccount ? trimServiceAccount(collected.serviceAccount) : null,
		logs: collected.logs
			? {
					state: collected.logs.state,
					summary: logLines(collected.logs).map(line => renderLine(line, false).trim()).join('\n'),
					excerptLines: most,
					shortened: most < excerptLines,
					samples: collected.samples.map(sample => ({
						namespace: sample.namespace,
						pod: sample.pod,
						container: sample.container,
						node: sample.node,
						bytes: sample.bytes ?? Buffer.byteLength(sample.text ?? ''),
						lines: lineCount(sample.text ?? ''),
						...logExcerpt(sample.text ?? '', most),
						error: sample.error ?? null,
						file: logFile(sample),
					})),
				}
			: null,
		notCollected: collected.gaps,
		redacted: null,
	};
}
