import { inject } from 'vitest';

// Workers see the emulator hosts the globalSetup started (the official clients read these variables).
process.env.PUBSUB_EMULATOR_HOST ??= inject('pubsubEmulatorHost');
process.env.FIRESTORE_EMULATOR_HOST ??= inject('firestoreEmulatorHost');
process.env.METADATA_SERVER_DETECTION = 'none';

// Keep test output readable: silent unless TEST_LOG_LEVEL (DEBUG…ERROR) asks for logs.
import { createLogger, setLogger, type Severity } from '../../shared/logging/logger.js';
setLogger(createLogger({ level: (process.env.TEST_LOG_LEVEL as Severity | undefined) ?? 'CRITICAL' }));
