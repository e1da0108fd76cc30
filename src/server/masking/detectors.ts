import { HoopError } from '../../lib/errors.js';
import { creditCard } from './detectors/credit-card.js';
import { email } from './detectors/email.js';
import { iban } from './detectors/iban.js';
import { ip } from './detectors/ip.js';
import { nationalId } from './detectors/national-id.js';
import { phone } from './detectors/phone.js';
import { secrets } from './detectors/secrets.js';
import { DETECTOR_NAMES, type Detector, type DetectorName } from './types.js';

export { createCreditCardDetector, type CreditCardOptions } from './detectors/credit-card.js';
export { creditCard, email, iban, ip, nationalId, phone, secrets };

/**
 * Every detector by its policy name. The order is the priority when two
 * detectors match the same span: the more specific format wins (a secret over
 * an email-looking string, a national ID over a phone-shaped number).
 */
export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  secrets,
  email,
  iban,
  credit_card: creditCard,
  national_id: nationalId,
  ip,
  phone,
};

const PRIORITY = Object.keys(DETECTORS) as DetectorName[];

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

/**
 * The detectors for a list of policy names, deduplicated and in priority
 * order. An unknown name is a policy error, not something to skip silently:
 * skipping would leave data unmasked that the author meant to mask.
 */
export function resolveDetectors(names: Iterable<string>): Detector[] {
  const wanted = new Set<DetectorName>();
  for (const name of names) {
    if (!isDetectorName(name)) {
      throw new HoopError('HOOP_CONFIG_INVALID', `unknown mask detector "${name}"`, {
        hint: `Use one of: ${DETECTOR_NAMES.join(', ')}.`,
      });
    }
    wanted.add(name);
  }
  return PRIORITY.filter((name) => wanted.has(name)).map((name) => DETECTORS[name]);
}
