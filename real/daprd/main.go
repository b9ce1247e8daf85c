// Command daprd is kedasim's minimal build of the Dapr sidecar.
//
// It runs the unmodified Dapr runtime (github.com/dapr/dapr v1.18.3) but
// registers only the components kedasim uses, so it needs no build tags and
// pulls in far fewer cloud SDKs than upstream `cmd/daprd -tags
// stablecomponents`. The start-up sequence follows the public-API usage of
// upstream cmd/daprd/app/app.go (Apache-2.0, see NOTICE); the SIGHUP reload
// loop is left out.
//
// Registered components:
//
//	bindings.rabbitmq (input + output)
//	bindings.kafka    (input + output)
//	pubsub.rabbitmq
//	pubsub.redis      (Redis Streams)
//	pubsub.jetstream
package main

import (
	"context"
	"fmt"
	"os"

	"go.opencensus.io/stats/view"
	"go.uber.org/automaxprocs/maxprocs"

	"github.com/dapr/components-contrib/bindings"
	kafkabinding "github.com/dapr/components-contrib/bindings/kafka"
	rabbitmqbinding "github.com/dapr/components-contrib/bindings/rabbitmq"
	jetstreampubsub "github.com/dapr/components-contrib/pubsub/jetstream"
	rabbitmqpubsub "github.com/dapr/components-contrib/pubsub/rabbitmq"
	redispubsub "github.com/dapr/components-contrib/pubsub/redis"

	"github.com/dapr/dapr/cmd/daprd/options"
	"github.com/dapr/dapr/pkg/buildinfo"
	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	configurationLoader "github.com/dapr/dapr/pkg/components/configuration"
	conversationLoader "github.com/dapr/dapr/pkg/components/conversation"
	cryptoLoader "github.com/dapr/dapr/pkg/components/crypto"
	lockLoader "github.com/dapr/dapr/pkg/components/lock"
	httpMiddlewareLoader "github.com/dapr/dapr/pkg/components/middleware/http"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
	"github.com/dapr/dapr/pkg/healthz"
	"github.com/dapr/dapr/pkg/metrics"
	"github.com/dapr/dapr/pkg/modes"
	"github.com/dapr/dapr/pkg/runtime"
	"github.com/dapr/dapr/pkg/runtime/registry"
	"github.com/dapr/dapr/pkg/security"
	"github.com/dapr/kit/concurrency"
	"github.com/dapr/kit/logger"
	"github.com/dapr/kit/signals"
)

var (
	log        = logger.NewLogger("dapr.runtime")
	logContrib = logger.NewLogger("dapr.contrib")
)

func init() {
	// The registries hand their Logger to every component factory as-is; a nil
	// logger makes components panic. Set it on every registry, even the empty
	// ones, exactly as upstream does.
	bindingsLoader.DefaultRegistry.Logger = logContrib
	pubsubLoader.DefaultRegistry.Logger = logContrib
	secretstoresLoader.DefaultRegistry.Logger = logContrib
	stateLoader.DefaultRegistry.Logger = logContrib
	cryptoLoader.DefaultRegistry.Logger = logContrib
	configurationLoader.DefaultRegistry.Logger = logContrib
	lockLoader.DefaultRegistry.Logger = logContrib
	nrLoader.DefaultRegistry.Logger = logContrib
	conversationLoader.DefaultRegistry.Logger = logContrib
	httpMiddlewareLoader.DefaultRegistry.Logger = log

	// bindings.rabbitmq
	bindingsLoader.DefaultRegistry.RegisterInputBinding(func(l logger.Logger) bindings.InputBinding {
		return rabbitmqbinding.NewRabbitMQ(l)
	}, "rabbitmq")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(func(l logger.Logger) bindings.OutputBinding {
		return rabbitmqbinding.NewRabbitMQ(l)
	}, "rabbitmq")

	// bindings.kafka
	bindingsLoader.DefaultRegistry.RegisterInputBinding(func(l logger.Logger) bindings.InputBinding {
		return kafkabinding.NewKafka(l)
	}, "kafka")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(func(l logger.Logger) bindings.OutputBinding {
		return kafkabinding.NewKafka(l)
	}, "kafka")

	// pubsub.*
	pubsubLoader.DefaultRegistry.RegisterComponent(rabbitmqpubsub.NewRabbitMQ, "rabbitmq")
	pubsubLoader.DefaultRegistry.RegisterComponent(redispubsub.NewRedisStreams, "redis")
	pubsubLoader.DefaultRegistry.RegisterComponent(jetstreampubsub.NewJetStream, "jetstream")
}

func main() {
	_, _ = maxprocs.Set()

	opts, err := options.New(os.Args[1:])
	if err != nil {
		log.Fatalf("Failed to parse flags: %v", err)
	}

	if opts.RuntimeVersion {
		//nolint:forbidigo
		fmt.Println(buildinfo.Version())
		os.Exit(0)
	}
	if opts.BuildInfo {
		//nolint:forbidigo
		fmt.Printf("Version: %s\nGit Commit: %s\nGit Version: %s\n",
			buildinfo.Version(), buildinfo.Commit(), buildinfo.GitVersion())
		os.Exit(0)
	}
	if opts.WaitCommand {
		runtime.WaitUntilDaprOutboundReady(opts.DaprHTTPPort)
		os.Exit(0)
	}

	opts.Logger.SetAppID(opts.AppID)
	if err = logger.ApplyOptionsToLoggers(&opts.Logger); err != nil {
		log.Fatal(err)
	}

	log.Infof("Starting Dapr Runtime (kedasim build) -- version %s -- commit %s", buildinfo.Version(), buildinfo.Commit())
	log.Infof("Log level set to: %s", opts.Logger.OutputLevel)

	ctx := signals.Context()
	if err := run(ctx, opts); err != nil {
		log.Fatalf("Fatal error from runtime: %s", err)
	}
	log.Info("Daprd shutdown gracefully")
}

func run(ctx context.Context, opts *options.Options) error {
	hz := healthz.New()

	secProvider, err := security.New(ctx, security.Options{
		SentryAddress:           opts.SentryAddress,
		ControlPlaneTrustDomain: opts.ControlPlaneTrustDomain,
		ControlPlaneNamespace:   opts.ControlPlaneNamespace,
		TrustAnchors:            opts.TrustAnchors,
		AppID:                   opts.AppID,
		MTLSEnabled:             opts.EnableMTLS,
		Mode:                    modes.DaprMode(opts.Mode),
		Healthz:                 hz,
		JwtAudiences:            opts.SentryRequestJwtAudiences,
	})
	if err != nil {
		return err
	}

	return concurrency.NewRunnerManager(
		secProvider.Run,
		func(ctx context.Context) error {
			sec, err := secProvider.Handler(ctx)
			if err != nil {
				return err
			}

			rt, err := runtime.FromConfig(ctx, &runtime.Config{
				// identity and app
				AppID:             opts.AppID,
				ApplicationPort:   opts.AppPort,
				AppProtocol:       opts.AppProtocol,
				AppChannelAddress: opts.AppChannelAddress,
				AppMaxConcurrency: opts.AppMaxConcurrency,
				AppSSL:            opts.AppSSL,

				// ports and addresses
				DaprHTTPPort:                  opts.DaprHTTPPort,
				DaprAPIGRPCPort:               opts.DaprAPIGRPCPort,
				DaprInternalGRPCPort:          opts.DaprInternalGRPCPort,
				DaprInternalGRPCListenAddress: opts.DaprInternalGRPCListenAddress,
				DaprPublicPort:                opts.DaprPublicPort,
				DaprPublicListenAddress:       opts.DaprPublicListenAddress,
				DaprAPIListenAddresses:        opts.DaprAPIListenAddresses,
				ProfilePort:                   opts.ProfilePort,
				UnixDomainSocket:              opts.UnixDomainSocket,

				// resources and config
				ResourcesPath:  opts.ResourcesPath,
				ComponentsPath: opts.ComponentsPath,
				Config:         opts.Config,
				Mode:           opts.Mode,

				// placement, scheduler and actors (unused by kedasim, kept for parity)
				ActorsService:              opts.ActorsService,
				ActorsDisseminationTimeout: opts.ActorsDisseminationTimeout,
				RemindersService:           opts.RemindersService,
				SchedulerAddress:           opts.SchedulerAddress,
				SchedulerStreams:           opts.SchedulerJobStreams,

				// shutdown and hot reload
				DaprGracefulShutdownSeconds: opts.DaprGracefulShutdownSeconds,
				DaprBlockShutdownDuration:   opts.DaprBlockShutdownDuration,
				HotReloadReconcileInterval:  opts.HotReloadReconcileInterval,

				// app health
				EnableAppHealthCheck:   opts.EnableAppHealthCheck,
				AppHealthCheckPath:     opts.AppHealthCheckPath,
				AppHealthProbeInterval: opts.AppHealthProbeInterval,
				AppHealthProbeTimeout:  opts.AppHealthProbeTimeout,
				AppHealthThreshold:     opts.AppHealthThreshold,

				// everything else
				ControlPlaneAddress:          opts.ControlPlaneAddress,
				AllowedOrigins:               opts.AllowedOrigins,
				EnableProfiling:              opts.EnableProfiling,
				EnableMTLS:                   opts.EnableMTLS,
				SentryAddress:                opts.SentryAddress,
				MaxRequestSize:               opts.MaxRequestSize,
				ReadBufferSize:               opts.ReadBufferSize,
				DisableBuiltinK8sSecretStore: opts.DisableBuiltinK8sSecretStore,
				EnableAPILogging:             opts.EnableAPILogging,
				DisableInitEndpoints:         opts.DisableInitEndpoints,
				AppBindingOptionsTimeout:     opts.AppBindingOptionsTimeout,

				Metrics: metrics.Options{
					Enabled:       opts.Metrics.Enabled(),
					Log:           log,
					Port:          opts.Metrics.Port(),
					Namespace:     metrics.DefaultMetricNamespace,
					Healthz:       hz,
					ListenAddress: opts.Metrics.ListenAddress(),
					Meter:         view.NewMeter(),
				},
				Registry: registry.NewOptions(),
				Security: sec,
				Healthz:  hz,
			})
			if err != nil {
				return err
			}
			return rt.Run(ctx)
		},
	).Run(ctx)
}
