import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { usersNamingApiKeys } from './lint.js';
import { policyFromRules } from './parse.js';
import { PolicyReloader, type PolicyStatus, type ReloadResult } from './reloader.js';
import type { Policy } from './types.js';

/**
 * The policy a gateway's config names: a file, held by a reloader that
 * follows it (a change or SIGHUP loads it again; a broken file is refused
 * and the last good policy stays), or rules written inline, which need a
 * restart; none means statements are not checked.
 */
export class ConfiguredPolicy {
  private constructor(
    private readonly source: PolicyReloader | Policy | undefined,
    private readonly log: Logger,
    private readonly loadedAt: string,
    private readonly file: string,
  ) {}

  /** Loads the config's policy; a broken one refuses the start (throws) before anything is opened. */
  static async open(config: GatewayConfig, log: Logger, watch: boolean): Promise<ConfiguredPolicy> {
    const loadedAt = new Date().toISOString();
    const onLoad = (policy: Policy): void => warnUsersNamingKeys(policy, config, log);
    let source: PolicyReloader | Policy | undefined;
    if (typeof config.policy === 'string') {
      source = await PolicyReloader.open({ file: config.policy, log, watch, onLoad });
    } else if (config.policy !== undefined) {
      source = policyFromRules(config.policy, { file: config.file });
      onLoad(source);
    }
    return new ConfiguredPolicy(source, log, loadedAt, config.file);
  }

  /** The policy in force at each call (a file's is replaced when it changes), or undefined without one. */
  get current(): (() => Policy) | undefined {
    const { source } = this;
    if (source instanceof PolicyReloader) return () => source.current;
    return source && (() => source);
  }

  /** The policy in force and the last reload, or undefined when the gateway has no policy. */
  status(): PolicyStatus | undefined {
    const { source } = this;
    if (source instanceof PolicyReloader) return source.status();
    return source && { hash: source.hash, source: this.file, loadedAt: this.loadedAt };
  }

  /** Reads a policy file again; undefined (and a warning) when the policy is written inline. */
  async reload(trigger: string): Promise<ReloadResult | undefined> {
    const { source } = this;
    if (source instanceof PolicyReloader) return source.reload(trigger);
    if (source) {
      this.log.warn(
        { event: 'policy_reload_unsupported', trigger },
        'the policy is written inline in the config; restart the gateway to change it',
      );
    }
    return undefined;
  }

  /** Stops following the file. */
  close(): void {
    if (this.source instanceof PolicyReloader) this.source.close();
  }
}

/**
 * A bare `users` entry never matches an API key (src/lib/principal.ts), so
 * one that is a configured key's name is likely a rule written for the key
 * before identities were namespaced: it no longer applies to the key (a deny
 * no longer refuses it). Said loudly at every load, as `hoop policy check`
 * says it (`user-is-api-key`).
 */
function warnUsersNamingKeys(policy: Policy, config: GatewayConfig, log: Logger): void {
  const apiKeys = config.auth.apiKeys.map((key) => key.name);
  if (apiKeys.length === 0) return;
  const findings = usersNamingApiKeys(policy.rules, apiKeys);
  if (findings.length === 0) return;
  log.warn(
    {
      event: 'policy_users_name_api_keys',
      hash: policy.hash,
      rules: [...new Set(findings.map((finding) => finding.rule))],
    },
    findings.map((finding) => finding.message).join('\n'),
  );
}
