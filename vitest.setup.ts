// Test-only: silence tfjs's one-time "install the node backend" banner in every test process.
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('IS_TEST', true);
