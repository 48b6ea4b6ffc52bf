// The report as data (`-o json`, and what the Markdown is written from): what was collected, trimmed to what an
// issue needs. The DaemonSet keeps its shape but no environment value (only where each comes from) and no
// last-applied copy of itself; the ServiceAccount its token Secrets' count, not their names. Pure; redaction is
// applied to the whole document afterwards (source/report/redact.ts).
import type {V1Container, V1DaemonSet, V1EnvVar, V1ObjectMeta, V1ServiceAccount, V1Volume} from '@kubernetes/client-node';
import {renderLine} from '../ansi.js';
import {checkLines, logLines} from '../doctor/present.js';
import type {Found} from '../doctor/model.js';
import {finding, findingPage, findingTitle} from '../multus/findings.js';
import {describeRule} from '../multus/rbac.js';
import type {VersionInfo} from '../version.js';
import type {CheckOutcome, Collected, Gap, ReportVerdict, SampledLog} from './collect.js';
import type {RedactionCounts} from './redact.js';

/** The newest lines of each sampled log that the report itself carries (the bundle has the whole read). */
export const excerptLines = 40;
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
	/** The newest lines, at most excerptLines of them, each at most excerptLineChars long. */
	excerpt: string[];
	/** Lines read but left out of the excerpt (older ones). */
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
	logs: {state: string; summary: string; samples: LogSample[]} | null;
	notCollected: Gap[];
	/** Distinct values replaced per kind; null when nothing was redacted on purpose (--no-redact). */
	redacted: RedactionCounts | null;
}

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

function trimMeta(meta: V1ObjectMeta | undefined) {
	const annotations = Object.fromEntries(Object.entries(meta?.annotations ?? {}).filter(([key]) => key !== lastApplied));
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
	return env.value === undefined ? 'empty' : 'a value (not shown)';
}

function trimContainer(container: V1Container) {
	return {
		name: container.name,
		image: container.image,
		...(container.command ? {command: container.command} : {}),
		...(container.args ? {args: container.args} : {}),
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

/** The DaemonSet as an issue needs it: no environment value, no last-applied copy, no managed fields. */
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

/** The newest lines of a read, each cut to excerptLineChars, and how many older ones were left out. */
export function logExcerpt(text: string): {excerpt: string[]; omitted: number} {
	const lines = text.split('\n');
	if (lines.at(-1) === '') lines.pop();
	const excerpt = lines.slice(-excerptLines).map(line => (line.length > excerptLineChars ? `${line.slice(0, excerptLineChars)}… (${line.length - excerptLineChars} more characters)` : line));
	return {excerpt, omitted: Math.max(0, lines.length - excerptLines)};
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

/** The report as data, from what was collected (not yet redacted: see redact.ts). */
export function reportDocument(collected: Collected, tool: VersionInfo): ReportDocument {
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
					samples: collected.samples.map(sample => ({
						namespace: sample.namespace,
						pod: sample.pod,
						container: sample.container,
						node: sample.node,
						bytes: Buffer.byteLength(sample.text ?? ''),
						lines: lineCount(sample.text ?? ''),
						...logExcerpt(sample.text ?? ''),
						error: sample.error ?? null,
						file: logFile(sample),
					})),
				}
			: null,
		notCollected: collected.gaps,
		redacted: null,
	};
}
