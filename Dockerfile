# Builds zcswitch and runs its tests with virtual PMDs and --no-huge only.
#
# No registry is reachable from these machines, so the base image is made
# locally (scripts/make-base-image.sh) and passed in; `make docker-test` does
# both. Elsewhere the default debian:bookworm works as it is.
ARG BASE_IMAGE=debian:bookworm
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    ZCSWITCH_SKIP_HUGEPAGES=1
WORKDIR /src

# Packages first, so that a source change does not reinstall them.
COPY scripts/install-deps.sh scripts/setup-hugepages.sh scripts/
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make \
 && scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*

COPY . .
RUN make build

CMD ["make", "test"]
