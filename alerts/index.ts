export { OPS_RULES, opsRulesFile, type OpsRule, type RulesOptions } from './ops-rules.ts';
