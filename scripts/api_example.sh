#!/bin/sh
# A cycle from registration to submission to the mentor, through the API with curl alone.
#   IQM_URL=https://iqm.example.org IQM_AUTHORITY=bathnes \
#   ADMIN_TOKEN=iqm_… COORDINATOR_TOKEN=iqm_… SCHOOL=12 MENTOR=7 sh scripts/api_example.sh
# SCHOOL: the school's id (GET /schools/?urn=…); MENTOR: the id of a mentor of the authority.
# The admin's token registers the school; the school coordinator's answers every element of the
# self-review (each statement and the element rated 3, Established) and submits it. Besides curl,
# only the shell's own tools (sed, tr, paste); an error's problem details are shown, and it stops.
set -eu
api="$IQM_URL/api/v1/$IQM_AUTHORITY"

call() { # call TOKEN METHOD PATH [JSON]: the response's body; on an error, its problem, and stop
  body=$(curl --silent --show-error --fail-with-body -X "$2" -H "Authorization: Bearer $1" \
    -H "Content-Type: application/json" ${4:+--data "$4"} "$api$3") ||
    { printf '%s\n' "$body" >&2; exit 1; }
  printf '%s' "$body"
}

# 1. The admin registers the school, with its mentor. The cycle's id is its first field.
cycle=$(call "$ADMIN_TOKEN" POST /cycles/ \
  "{\"school\": $SCHOOL, \"kind\": \"${KIND:-initial}\", \"mentor\": $MENTOR}")
cycle=$(printf '%s' "$cycle" | sed 's/^{"id":\([0-9]*\),.*/\1/')
echo "Registered: cycle $cycle"

# 2. The coordinator answers every element. JSON's own quotes are never escaped, so splitting
# the answers at each "{" leaves each element ("id":…,"number":…,"code":…) at a line's start.
answers=$(call "$COORDINATOR_TOKEN" GET "/cycles/$cycle/answers/?page_size=200")
elements=$(printf '%s' "$answers" | tr '{' '\n' |
  sed -n 's/^"id":\([0-9]*\),"number":[0-9]*,"code":.*/\1/p')
for element in $elements; do
  answer=$(call "$COORDINATOR_TOKEN" GET "/cycles/$cycle/answers/$element/")
  version=$(printf '%s' "$answer" | sed 's/.*"version":\([0-9]*\).*/\1/')
  ratings=$(printf '%s' "$answer" | tr '{' '\n' |
    sed -n 's/^"id":\([0-9]*\),"number":[0-9]*,"text":.*/"\1": 3/p' | paste -s -d, -)
  call "$COORDINATOR_TOKEN" PUT "/cycles/$cycle/answers/$element/" "{\"version\": $version,
    \"rating\": 3, \"ratings\": {$ratings}, \"practice\": \"What we do, element $element.\",
    \"evidence\": \"Our tracking data.\", \"strengths\": \"Strong.\",
    \"development\": \"More to do.\"}" >/dev/null
  echo "Answered element $element"
done

# 3. The coordinator submits the self-review to the mentor.
submitted=$(call "$COORDINATOR_TOKEN" POST "/cycles/$cycle/submit/")
state=$(printf '%s' "$submitted" | sed 's/.*"state":"\([a-z_]*\)".*/\1/')
echo "Cycle $cycle: $state"
