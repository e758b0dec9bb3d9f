// The fault suite's processes only ever reach the emulators their own test file started (pipeline-harness.ts).
process.env.METADATA_SERVER_DETECTION = 'none';
import { createLogger, setLogger, type Severity } from '../../shared/logging/logger.js';
setLogger(createLogger({ level: (process.env.TEST_LOG_LEVEL as Severity | undefined) ?? 'CRITICAL' }));
