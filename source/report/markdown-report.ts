// The report as Markdown for a GitHub issue or a ticket (`-o md`): headings, lists, YAML blocks and collapsible
// log excerpts. Every text from the cluster goes through markdown.ts (text, code, fence, details). Pure.
import {stringify} from 'yaml';
import {marks} from '../doctor/present.js';
import {placeholder, redactionKinds, type RedactionKind} from './redact.js';
import {excerptLines, type ReportDocument} from './document.js';
import {code, details, fence, text} from './markdown.js';

const verdictWords: Record<ReportDocument['verdict'], string> = {
	healthy: 'Healthy',
	broken: 'Broken',
	incomplete: 'Not judged',
	'not-found': 'No Multus found',
};

const kindWords: Record<RedactionKind, string> = {
	token: 'token(s)',
	certificate: 'certificate(s)',
	key: 'private key(s)',
	ip: 'IP address(es)',
	hostname: 'host name(s)',
};

/**
 * The most characters of Markdown the report aims at: a GitHub issue's body holds 65,536, and the reporter adds
 * words of their own. Past it, the log excerpts hold fewer lines (reportOutputs).
 */
export const markdownBudget = 60_000;

/** What a shortened report says of its logs, and where the rest is. */
function shortenedLine(logs: NonNullable<ReportDocument['logs']>): string {
	const kept = logs.excerptLines === 0 ? 'no log excerpt' : `log excerpts of at most ${logs.excerptLines} line(s) each, not ${excerptLines}`;
	return `- Shortened to fit a GitHub issue (65,536 characters): ${kept}; ${code('kubectl multus report --bundle FILE')} holds each pod's whole log read`;
}

function yaml(value: unknown): string {
	return fence(stringify(value, {lineWidth: 0}), 'yaml');
}

/** The doctor's marks: a failed advisory rule is a warning, anything else that failed is bad; ? is not judged. */
function markOf(finding: ReportDocument['findings'][number]): string {
	if (finding.status === 'pass') return marks.ok;
	if (finding.status === 'unknown') return '?';
	return finding.kind === 'rules' && !finding.blocks ? marks.warn : marks.bad;
}

function redactionLine(document: ReportDocument): string {
	if (document.redacted === null) return '- Redacted: nothing (`--no-redact`)';
	const counted = redactionKinds.filter(kind => document.redacted![kind] > 0).map(kind => `${document.redacted![kind]} ${kindWords[kind]}`);
	if (counted.length === 0) return '- Redacted: nothing was found to redact (tokens, certificates, keys, IP addresses, host names)';
	const example = placeholder(redactionKinds.find(kind => document.redacted![kind] > 0)!, 1);
	return `- Redacted: ${counted.join(', ')}; each is a placeholder such as ${code(example)}, the same one wherever it appears (\`--no-redact\` keeps them)`;
}

/** The report as Markdown, from a (redacted) document. */
export function reportMarkdown(document: ReportDocument): string {
	const out: string[] = [];
	// A block (a fence, <details>) ends with its newline; the join puts it back.
	const push = (...lines: string[]) => out.push(...lines.map(line => line.replace(/\n$/, '')));
	const multus = document.multus;
	push('### kubectl multus report', '');
	push(`**Verdict: ${verdictWords[document.verdict].toLowerCase()}.** ${text(document.summary)}`, '');
	push(`- Tool: ${code(`kubectl-multus ${document.tool.version}`)} (commit ${code(document.tool.commit)})`);
	push(`- Kubernetes: ${code(document.kubernetes.version)} at ${code(document.kubernetes.server)}`);
	if (multus) {
		push(`- Multus: DaemonSet ${code(`${multus.namespace}/${multus.daemonSet}`)}, ${text(multus.mode)}, image ${code(multus.image)}`);
		push(`- Release: ${code(multus.release.version)} (${text(multus.release.how)}${multus.release.note ? `: ${text(multus.release.note)}` : ''}); informers: ${multus.release.informers.length > 0 ? multus.release.informers.map(code).join(', ') : 'none'}`);
		push(`- Found by: ${multus.foundBy.map(text).join(', ') || 'its name (--daemonset)'}`);
		push(`- Identity: ${code(multus.identity.user)}${multus.perNodeCertificates ? ' (per-node certificates)' : ''}; pods ${multus.pods.ready}/${multus.pods.desired} ready${multus.managedBy ? `; managed by ${text(multus.managedBy)}` : ''}`);
		push(`- Daemon log: start-up lines ${text(multus.daemonLog.startupLines)}${multus.daemonLog.source ? ` (${text(multus.daemonLog.source)})` : ''}`);
	}
	const seen = document.caller.server;
	const server = seen ? `, whom the API server knows as ${code(seen.username)}${seen.groups.length > 0 ? ` (groups ${seen.groups.map(code).join(', ')})` : ''}` : '';
	push(`- Collected by: kubeconfig user ${code(document.caller.user)}${document.caller.impersonating ? ` as ${code(document.caller.impersonating)}` : ''}${server} at ${text(document.generatedAt)}, read-only`);
	push(redactionLine(document));
	if (document.logs?.shortened) push(shortenedLine(document.logs));
	push('');

	if (document.findings.length > 0) {
		push('#### Findings', '', `Each code has a page in kubectl-multus's ${code('docs/findings.md')} (${code('MULTUS-RBAC-001')}: ${code('docs/findings.md#multus-rbac-001')}).`, '');
		for (const finding of document.findings) {
			const words = finding.notJudged !== undefined ? 'not judged (see Not collected)' : text(finding.text);
			push(`- ${markOf(finding)} ${code(finding.code)} ${code(finding.id)}${finding.blocks ? ' (blocking)' : ''}: ${words}`);
		}
		push('');
	}
	if (document.codes.length > 0) {
		push('#### Codes raised', '');
		for (const raised of document.codes) {
			push(`- ${code(raised.code)} ${text(raised.title)}${raised.details.length > 0 ? `: ${raised.details.map(text).join('; ')}` : ''}`);
		}
		push('');
	}
	if (document.warnings.length > 0) {
		push('#### Warnings', '');
		for (const warning of document.warnings) push(`- ${marks.warn} ${warning.code ? `${code(warning.code)} ` : ''}${text(warning.text)}`);
		push('');
	}
	if (document.fix) {
		const fix = document.fix;
		push('#### The fix the doctor would make', '');
		push(`- ${fix.dedicated ? 'A new ClusterRole' : 'Add to ClusterRole'} ${code(fix.clusterRole)}: ${fix.add.map(code).join('; ')}`);
		if (fix.dedicated) push(`- ClusterRole ${code(fix.dedicated.sharedRole)} is bound to others too: ${fix.dedicated.othersBound.map(text).join(', ')}`);
		if (fix.aggregateOf) push(`- ${code(fix.aggregateOf)} is aggregated: the fix goes to its source role`);
		if (fix.managedBy) push(`- Managed by ${text(fix.managedBy)}: fix it at the source`);
		for (const gain of fix.gains) push(`- Gains: ${text(gain)}`);
		push('', fence(fix.reconcileYaml, 'yaml'), '');
	}
	if (document.fixRefused) {
		push('#### The fix the doctor would refuse', '', `- ${text(document.fixRefused.message)}`);
		if (document.fixRefused.hint) push(`- Fix: ${text(document.fixRefused.hint)}`);
		push('');
	}
	if (document.notCollected.length > 0) {
		push('#### Not collected', '');
		for (const gap of document.notCollected) push(`- ${text(gap.what)} (${text(gap.kind)}): ${code(gap.why)}`);
		push('');
	}
	if (multus) {
		push('#### RBAC: bindings and bound roles', '');
		if (!document.rbac.read) push('- not read (see Not collected)');
		else if (document.rbac.roles.length === 0) push(`- no ClusterRole is bound to ${code(multus.identity.user)}`);
		for (const role of document.rbac.roles) {
			push(`- ClusterRole ${code(role.name)} via ${role.bindings.map(b => `ClusterRoleBinding ${code(b.binding)} (${text(b.via)})`).join(', ')}${role.managedBy ? `, managed by ${text(role.managedBy)}` : ''}`);
		}
		for (const missing of document.rbac.missingRoles) push(`- ClusterRole ${code(missing.role)} (missing) via ${missing.bindings.map(code).join(', ')}`);
		push('');
		if (document.rbac.roles.length > 0) push(details('Rules of the bound ClusterRoles', yaml(Object.fromEntries(document.rbac.roles.map(role => [role.name, role.rules])))), '');
	}
	if (document.daemonSet) push('#### DaemonSet (trimmed: no environment values)', '', details(multus ? `DaemonSet ${multus.namespace}/${multus.daemonSet}` : 'DaemonSet', yaml(document.daemonSet)), '');
	if (document.serviceAccount) push('#### ServiceAccount', '', yaml(document.serviceAccount), '');
	if (document.logs) {
		push('#### Logs', '', ...document.logs.summary.split('\n').map(line => `- ${text(line)}`));
		if (document.logs.shortened) push(shortenedLine(document.logs));
		push('');
		for (const sample of document.logs.samples) {
			const where = `pod ${sample.namespace}/${sample.pod} (${sample.container}) on ${sample.node || 'no node'}`;
			if (sample.error) {
				push(`- ${text(where)}: ${code(sample.error)}`, '');
				continue;
			}
			const shown = sample.omitted > 0 ? `the newest ${sample.lines - sample.omitted} of ${sample.lines} lines` : `${sample.lines} lines`;
			if (sample.excerpt.length === 0 && sample.lines > 0) push(`- ${text(`${where}: ${sample.lines} lines, ${sample.bytes} bytes read, none shown here`)}`, '');
			else push(details(`${where}: ${shown}, ${sample.bytes} bytes read`, fence(sample.excerpt.join('\n'), 'text')), '');
		}
	}
	return `${out.join('\n').trimEnd()}\n`;
}
