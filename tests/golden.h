/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden vectors of models/: fixed inputs and the exact integers every function
 * returns for them, one line each. tests/golden/models.txt holds the output made
 * on x86-64; test-golden compares a fresh run (native and soft arithmetic, and on
 * arm64/armhf under qemu) with it bit for bit. The file pins reproducibility
 * across architectures; correctness is checked elsewhere against independent
 * references (ref/, R, hand calculations).
 */
#ifndef PANTRY_TESTS_GOLDEN_H
#define PANTRY_TESTS_GOLDEN_H

#include <stdio.h>

/* Write every golden line to out. */
void golden_write(FILE *out);

#endif
