// Which findings a run raised, by code: what a report, a ticket or an upstream issue quotes. From the state alone
// (pure): the checks that failed and their rule gaps, the look-alikes in the logs, what Find and the plan saw, the
// notes that are findings, the outcome and the failure.
import {describeRule} from '../multus/rbac.js';
import {finding, findingPage, findingTitle, logFinding, type FindingInfo} from '../multus/findings.js';
import type {DoctorState} from './machine.js';
import {startupLinesHidden} from './present.js';
import type {CheckResult} from './model.js';

/** One finding the run raised: its code, title and page, and what it was about here (one line each). */
export interface RaisedFinding {
	code: string;
	title: string;
	/** Its page: docs/findings.md#multus-rbac-001. */
	page: string;
	details: string[];
}

/** The findings of a run, in the order they were met, each code once with every detail it had. */
export function raisedFindings(state: DoctorState): RaisedFinding[] {
	const raised = new Map<string, RaisedFinding>();
	const raise = (code: string | undefined, detail: string) => {
		if (!code) return;
		const entry = raised.get(code) ?? {code, title: findingTitle(code) ?? '', page: findingPage(code), details: []};
		if (detail && !entry.details.includes(detail)) entry.details.push(detail);
		raised.set(code, entry);
	};
	const by = (info: FindingInfo, detail: string) => raise(info.code, detail);
	const {found, diagnosis, plan} = state;
	if (found) {
		for (const note of found.lookalikeBindings) by(finding.crossNamespaceBinding, note);
		if (found.daemonSet.perNodeCertificates) by(finding.perNodeIdentity, `checked as ${found.identity.user} in group system:multus`);
		if (startupLinesHidden(found)) by(finding.startupLinesHidden, found.daemonSet.daemonLog.why ?? '');
	}
	if (diagnosis && found) {
		for (const check of diagnosis.checks) for (const [code, detail] of checkFindings(check, found.identity.user)) raise(code, detail);
		if (diagnosis.logs.state === 'unavailable') by(finding.logsUnreadable, diagnosis.logs.errors[0] ?? 'no pods');
		for (const other of diagnosis.logs.lookalikes) {
			const info = logFinding[other.kind as keyof typeof logFinding];
			if (info) by(info, `${other.count} line(s): ${other.example}`);
		}
		if (diagnosis.verdict === 'healthy' && diagnosis.logs.count > 0) by(finding.oldForbiddenLines, diagnosis.summary);
	}
	if (plan) {
		if (plan.dedicated) by(finding.sharedRoleDedicated, `ClusterRole ${plan.dedicated.sharedRole} is also bound to ${plan.dedicated.othersBound.join(', ')}; the rules go to ClusterRole ${plan.role}`);
		if (plan.aggregate) by(finding.aggregatedRole, `ClusterRole ${plan.aggregate.role} is aggregated from ${plan.aggregate.sources.join(', ')}; source ${plan.aggregate.source} is patched`);
		if (plan.owner) by(finding.roleManaged, `ClusterRole ${plan.role} is managed by ${plan.owner.name}; fix it at the source: ${plan.owner.fix}`);
		if (plan.autoupdateDisabled) by(finding.roleOptedOut, `ClusterRole ${plan.role}`);
		for (const permission of plan.permissions.filter(p => !p.allowed)) {
			by(permission.optional ? finding.callerCannotReadLogs : finding.callerLacksPermission, `you cannot ${permission.description} (grant: ${permission.grant})`);
		}
	}
	for (const noted of state.notedFindings) raise(noted.code, noted.note);
	if (state.failure?.code) raise(state.failure.code, state.failure.message);
	if (state.outcome?.code) raise(state.outcome.code, state.outcome.message);
	return [...raised.values()];
}

/** What a check that did not pass raised: its code (a rules check: each gap's own code), and about what. */
export function checkFindings(check: CheckResult, user: string): Array<[code: string, detail: string]> {
	if (check.status === 'pass') return [];
	switch (check.kind) {
		case 'access': {
			const what = check.question.group ? `${check.question.resource}.${check.question.group}` : check.question.resource;
			// A review that does not block (pods list/watch for the thin plugin, asked for the report) is no finding.
			return check.status === 'fail' && check.blocks ? [[check.code, `${user} cannot ${check.question.verb} ${what} at cluster scope`]] : [];
		}
		case 'rules':
			return check.gaps.map(gap => [gap.code, `missing ${describeRule(gap.rule)}`]);
		case 'logs':
			return check.status === 'fail' ? [[check.code, `${check.count} forbidden line(s) in the sampled pods' logs`]] : [];
	}
}
