# Multi-stage build: a release binary in a small Debian runtime image that
# runs as a non-root user. The PostgreSQL client libraries are not needed
# (the gateway speaks the wire protocol itself); for the embedded database
# mode, install `postgresql` in the runtime stage or use compose.yaml.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY sql sql
COPY policies policies
COPY data data
RUN cargo build --release --locked && strip target/release/alchemi

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/alchemi --create-home alchemi
COPY --from=build /src/target/release/alchemi /usr/local/bin/alchemi
USER alchemi
WORKDIR /var/lib/alchemi
ENV PORT=4000 HOST=0.0.0.0 ALCHEMI_DATA_DIR=/var/lib/alchemi
EXPOSE 4000
ENTRYPOINT ["/usr/local/bin/alchemi"]
CMD ["serve"]
