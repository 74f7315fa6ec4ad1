# libcluster's topology for myapp: Cluster.Strategy.Kubernetes mode: :hostname.
# Put it in config/runtime.exs (or config/prod.exs). The names it dials are the ones
# relnode gives the pods: myapp@myapp-0.myapp-headless.default.svc.cluster.local
import Config

config :libcluster,
  topologies: [
    k8s: [
      strategy: Cluster.Strategy.Kubernetes,
      config: [
        mode: :hostname,
        kubernetes_node_basename: "myapp",
        # Endpoints carry the Service's labels, so this selects the Service, not the pods.
        kubernetes_selector: "app=myapp",
        kubernetes_namespace: "default",
        kubernetes_ip_lookup_mode: :endpoints,
        kubernetes_service_name: "myapp-headless",
        # libcluster writes <kubernetes_cluster_name>.local after the namespace.
        kubernetes_cluster_name: "cluster",
        polling_interval: 5_000
      ]
    ]
  ]
