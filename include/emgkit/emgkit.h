/* emgkit/emgkit.h: umbrella header for the emgkit library. */
#ifndef EMGKIT_EMGKIT_H
#define EMGKIT_EMGKIT_H

#include "emgkit/version.h"

#include "emgkit/error.h"
#include "emgkit/recording.h"
#include "emgkit/io.h"
#include "emgkit/bids.h"
#include "emgkit/table.h"
#include "emgkit/filter.h"
#include "emgkit/spectrum.h"
#include "emgkit/features.h"
#include "emgkit/fatigue.h"
#include "emgkit/synth.h"
#include "emgkit/detect.h"
#include "emgkit/label.h"
#include "emgkit/score.h"
#include "emgkit/dataset.h"
#include "emgkit/gaps.h"
#include "emgkit/pool.h"

#endif
