import { describe, expect, it } from 'vitest';
import { checkEmulatorsInstalled, EmulatorsMissingError } from '../../scripts/lib/emulators.js';

describe('emulator start-up', () => {
  it('fails with a message naming the missing emulator packages', () => {
    expect(() => checkEmulatorsInstalled('/nonexistent/google-cloud-sdk')).toThrow(EmulatorsMissingError);
    expect(() => checkEmulatorsInstalled('/nonexistent/google-cloud-sdk')).toThrow(/google-cloud-cli-pubsub-emulator.*google-cloud-cli-firestore-emulator/s);
  });
});
